/** Owner sentences for an import job: what happened and the next useful thing to do. No jargon here. */
import type { ConnectorDefinition } from '../connectors/types';
import type { AcquisitionBatch } from '../core/model';
import type { ImportJobRow } from './types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function ownerDay(time: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(time);
  if (!match) return time;
  return `${MONTHS[Number(match[2]) - 1]} ${Number(match[3])}, ${match[1]}`;
}

export function nextActions(job: ImportJobRow, connector: ConnectorDefinition | undefined, receipt: AcquisitionBatch | undefined): string[] {
  const site = connector ? `${connector.displayName} (${connector.hosts[0] ?? ''})` : 'the site';
  // In the service's noun: "your orders" on Amazon, "your conversations" on ChatGPT.
  const noun = (connector && connector.ownerCopy?.streamNouns?.[connector.streams[0]?.name ?? '']?.other) ?? 'records';
  const actions: string[] = [];
  const through = job.preview?.coveredThrough ?? (receipt?.eventRange ? undefined : undefined);
  switch (job.status) {
    case 'committed':
      if (through) {
        actions.push(`This export is covered through ${ownerDay(through)}. For anything newer, visit your ${noun} on ${site} while signed in, or request a fresh export later.`);
      } else {
        actions.push(`Visit your ${noun} on ${site} now and then to keep recent records current.`);
      }
      if ((receipt?.counts.failed ?? 0) > 0) actions.push(`${receipt!.counts.failed} row(s) could not be read; the details below say why.`);
      actions.push('If the service split your export into several files, add the other ones the same way.');
      break;
    case 'cancelled':
      actions.push(`You stopped this import after ${job.recordsCommitted} record(s) were stored. Resume to import the rest, or keep what is stored.`);
      break;
    case 'failed':
      actions.push(`The import stopped after ${job.recordsCommitted} record(s) were stored. Resume to continue from there.`);
      break;
    case 'already_imported':
      if (receipt && job.sha256 !== receipt.artifactSha256) {
        // Recognised by the files inside it: the CSV after its zip, a re-zipped or renamed copy.
        const before = receipt.provenance.kind === 'artifact' ? ` (in "${receipt.provenance.fileName}")` : '';
        actions.push(`Everything this file holds was imported before${before}, so nothing was changed. The original receipt is shown.`);
      } else {
        actions.push('You imported this exact file before, so nothing was changed. Its original receipt is shown.');
      }
      actions.push('To add newer records, request a fresh export, or visit the site while signed in.');
      break;
    case 'refused':
      actions.push('Nothing was saved. Choose another file when you have it.');
      break;
    case 'ready':
      actions.push('Check the summary, choose whose account this is, then import.');
      break;
    default:
      break;
  }
  return actions;
}
