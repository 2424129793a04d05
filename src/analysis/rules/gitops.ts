import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Diagnostic } from '../../model/core';
import { MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, TreeRule } from '../rule';

/** Rules of the GitOps output (`GITOPSnnn`). */

function lateCharts(root: IConstruct, s: MeshSnapshot): Diagnostic[] {
  const argoCd = s.gitops.argoCd;
  if (!argoCd) return [];
  const late = root.node.findAll()
    .filter((c): c is Chart => c instanceof Chart && c.node.path !== argoCd.path && !argoCd.charts.includes(c.node.path))
    .map((c) => c.node.path);
  if (late.length === 0) return [];
  return [finding(GITOPS_RULES.LATE_CHART, argoCd.path, propMessage('app',
    'must hold every chart when GitOps.argoCd() is called: these charts were added later and have no Application', late,
    'call GitOps.argoCd(app, ...) after every chart of the App is declared'))];
}

export const GITOPS_RULES: Readonly<Record<'LATE_CHART', TreeRule>> = {
  LATE_CHART: {
    code: 'GITOPS001',
    severity: 'error',
    reportedOn: 'the `GitOps.argoCd()` chart',
    summary: 'A chart added to the App after `GitOps.argoCd()`: it has no Argo CD Application, so nothing would deploy its objects.',
    fix: 'Call `GitOps.argoCd(app, ...)` after every chart of the App is declared.',
    check: lateCharts,
  },
};
