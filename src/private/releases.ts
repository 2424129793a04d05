import { IConstruct } from 'constructs';
import { MeshModel } from '../model/mesh-model';
import { ReleaseModel, trafficOf } from '../model/traffic';

/** Registers a release in the model and reports its diagnostics on `scope`. */
export function registerRelease(scope: IConstruct, service: { readonly host: string }, release: ReleaseModel): void {
  const model = MeshModel.of(scope);
  trafficOf(model, service.host).releases.push(release);
  model.touch();
  scope.node.addValidation({ validate: () => model.errorsFor(scope.node.path) });
}
