/** Host permissions for the manifest: exactly the hosts connectors declare. */
import { amazonMeta } from './amazon/meta';
import { netflixMeta } from './netflix/meta';
import { xMeta } from './x/meta';

export const connectorMetas = [amazonMeta, netflixMeta, xMeta] as const;

export function connectorHostPermissions(): string[] {
  return connectorMetas.flatMap((meta) => meta.hosts.map((host) => `https://${host}/*`));
}
