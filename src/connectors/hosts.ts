/** Host permissions for the manifest: exactly the hosts connectors declare. */
import { amazonMeta } from './amazon/meta';
import { youtubeMeta } from './youtube/meta';

export const connectorMetas = [amazonMeta, youtubeMeta] as const;

export function connectorHostPermissions(): string[] {
  return connectorMetas.flatMap((meta) => meta.hosts.map((host) => `https://${host}/*`));
}
