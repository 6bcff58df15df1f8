/** Message schemas of the import pipeline (owned by the import feature). */
export const importRequestSchemas = {} as const;
