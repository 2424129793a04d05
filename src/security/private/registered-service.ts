import { IConstruct } from 'constructs';
import { ServiceModel } from '../../model/core';
import { IMeshService } from '../../model/shared-interfaces';
import { propError } from '../../private/errors';
import { meshOf } from '../../synth/mesh';

/**
 * The model registration of `service` (ports, versions, identity), or a
 * clear error naming `prop` when the object is not a service of this app.
 */
export function registeredService(scope: IConstruct, prop: string, service: IMeshService): ServiceModel {
  const found = meshOf(scope).findService(service.host);
  if (!found) {
    throw propError(scope, prop, 'must be a MeshService of this app (registered in its mesh model)', service.node.path,
      'pass a MeshService declared in the same App');
  }
  return found;
}
