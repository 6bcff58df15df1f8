/** Before any end-to-end test: the real PDPP reference server is built (cached by its build.sh; cold ≈1.5 min). */
import { buildReferenceServer } from '../../support/pdpp-reference';

export default async function setup(): Promise<void> {
  await buildReferenceServer();
}
