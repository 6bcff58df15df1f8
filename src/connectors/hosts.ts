/** Host permissions for the manifest: exactly the hosts connectors declare. */
import { amazonMeta } from './amazon/meta';
import { chatgptMeta } from './chatgpt/meta';

export const connectorMetas = [amazonMeta, chatgptMeta] as const;

export function connectorHostPermissions(): string[] {
  return connectorMetas.flatMap((meta) => meta.hosts.map((host) => `https://${host}/*`));
}
