/**
 * A ChatGPT message's `content` flattened to text by its `content_type`
 * (after the reference connector's handlers): `text` and `multimodal_text`
 * join their parts (an image part becomes `[image: <file id>]` and its file id
 * is listed), `code` keeps its language as a fence, `execution_output` its
 * output, `thoughts` each thought's summary and content, `reasoning_recap` its
 * recap; unknown types fall back to their JSON, cut short.
 */
type Content = Record<string, unknown>;

export interface FlatContent {
  text: string | null;
  /** File ids of media the message points at (`file-…`, `file_…`). */
  fileIds: string[];
}

const FALLBACK_MAX = 5000;
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** `file-service://file-AbC` and `sediment://file_00…` → the file id. */
export function fileIdOfPointer(pointer: string): string | undefined {
  const id = pointer.replace(/^[a-z-]+:\/\//, '');
  return /^file[-_][\w-]{3,100}$/.test(id) ? id : undefined;
}

function part(value: unknown, fileIds: string[]): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const p = value as Content;
  if (typeof p.text === 'string') return p.text;
  if (typeof p.asset_pointer === 'string') {
    const id = fileIdOfPointer(p.asset_pointer);
    if (id) fileIds.push(id);
    const kind = str(p.content_type).replace(/_asset_pointer$/, '') || 'file';
    return `[${kind}: ${id ?? p.asset_pointer}]`;
  }
  return typeof p.content_type === 'string' ? `[${p.content_type}]` : '';
}

function joined(pieces: string[], separator = '\n'): string | null {
  const text = pieces.filter(Boolean).join(separator).trim();
  return text || null;
}

const HANDLERS: Record<string, (content: Content, fileIds: string[]) => string | null> = {
  text: (c, ids) => joined((Array.isArray(c.parts) ? c.parts : []).map((p) => part(p, ids))),
  multimodal_text: (c, ids) => joined((Array.isArray(c.parts) ? c.parts : []).map((p) => part(p, ids))),
  code: (c) => {
    const body = str(c.text);
    const language = str(c.language);
    if (!body && !language) return null;
    return language && language !== 'unknown' ? `\`\`\`${language}\n${body}\n\`\`\`` : body || null;
  },
  execution_output: (c) => str(c.text) || null,
  thoughts: (c) =>
    joined(
      (Array.isArray(c.thoughts) ? c.thoughts : []).map((thought) => {
        const t = (thought ?? {}) as Content;
        return joined([str(t.summary), str(t.content)]) ?? '';
      }),
      '\n\n',
    ),
  reasoning_recap: (c) => str(c.content) || str(c.text) || null,
  tether_browsing_display: (c) => joined([str(c.summary), str(c.result)], '\n\n'),
  tether_quote: (c) => joined([str(c.title), str(c.url), str(c.text)]),
  model_editable_context: (c) => joined([str(c.model_set_context), str(c.repository) && `repository: ${str(c.repository)}`, str(c.repo_summary)], '\n\n'),
  user_editable_context: (c) => joined([str(c.user_profile), str(c.user_instructions)], '\n\n'),
  system_error: (c) => joined([str(c.name), str(c.text)], ': '),
};

export function flattenContent(content: unknown): FlatContent {
  const fileIds: string[] = [];
  if (!content || typeof content !== 'object') return { text: null, fileIds };
  const c = content as Content;
  const handler = HANDLERS[str(c.content_type)];
  if (handler) return { text: handler(c, fileIds), fileIds };
  let fallback: string;
  try {
    fallback = JSON.stringify(c);
  } catch {
    return { text: null, fileIds };
  }
  return { text: fallback && fallback !== '{}' ? (fallback.length > FALLBACK_MAX ? `${fallback.slice(0, FALLBACK_MAX)}…` : fallback) : null, fileIds };
}
