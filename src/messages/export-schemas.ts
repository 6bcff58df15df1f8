/** Message schemas of the PDPP export, server link and backup/restore (owned by the export feature). */
export const exportRequestSchemas = {} as const;
