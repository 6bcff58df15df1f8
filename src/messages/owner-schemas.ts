/** Message schemas of the owner UI: capture pause, per-tab status, connection management, storage health (owned by the owner-UI feature). */
export const ownerRequestSchemas = {} as const;
