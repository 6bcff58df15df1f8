/**
 * Streams the elements of one top-level JSON array (`[{…}, {…}]`), or of a
 * JS-wrapped one (`window.YTD.tweets.part0 = [ … ]`), without holding the
 * whole text: each element is cut out by a small scanner that tracks strings
 * and nesting, then handed to `JSON.parse`. Nesting deeper than `maxDepth` or
 * an element longer than `maxElementChars` is refused.
 */
import { ArtifactError } from './errors';

const enum Mode {
  Prefix,
  BetweenElements,
  InElement,
  Done,
}

export class JsonArrayReader {
  private buffer = '';
  private mode = Mode.Prefix;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;
  /** Elements that were not valid JSON. */
  invalid = 0;

  constructor(
    private readonly options: { maxDepth?: number; maxElementChars?: number; allowJsPrefix?: boolean } = {},
  ) {}

  push(text: string): unknown[] {
    this.buffer += text;
    return this.drain();
  }

  end(): unknown[] {
    const out = this.drain();
    if (this.mode === Mode.Prefix) throw new ArtifactError('unknown_format', 'This file does not hold the list of records Gleaner expected.');
    return out;
  }

  private drain(): unknown[] {
    const out: unknown[] = [];
    const maxDepth = this.options.maxDepth ?? 64;
    const maxChars = this.options.maxElementChars ?? 16 * 1024 * 1024;
    let s = this.buffer;
    let at = this.scanned;
    while (at < s.length && this.mode !== Mode.Done) {
      if (this.mode === Mode.Prefix) {
        const open = s.indexOf('[', at);
        if (open === -1) {
          if (s.length > 4096) throw new ArtifactError('unknown_format', 'This file does not start with a list of records.');
          at = s.length;
          break;
        }
        const prefix = s.slice(0, open).trim();
        if (prefix && !(this.options.allowJsPrefix && /^[\w$.[\]'"]+\s*=$/.test(prefix))) {
          throw new ArtifactError('unknown_format', 'This file does not start with a list of records.');
        }
        this.mode = Mode.BetweenElements;
        s = s.slice(open + 1);
        at = 0;
        continue;
      }
      if (this.mode === Mode.BetweenElements) {
        const c = s[at]!;
        if (c === ',' || c === ' ' || c === '\n' || c === '\r' || c === '\t') {
          at++;
          continue;
        }
        if (c === ']') {
          this.mode = Mode.Done;
          s = '';
          at = 0;
          break;
        }
        s = s.slice(at);
        at = 0;
        this.mode = Mode.InElement;
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
      }
      // InElement: scan to the end of this element.
      let end = -1;
      for (; at < s.length; at++) {
        const c = s.charCodeAt(at);
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 92) this.escaped = true;
          else if (c === 34) this.inString = false;
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) {
          if (++this.depth > maxDepth) throw new ArtifactError('json_too_deep', 'This file nests its data far deeper than any export would; Gleaner stopped reading it.');
        } else if (c === 125 || c === 93) {
          if (this.depth === 0) {
            end = at; // the closing `]` of the array, after a scalar element
            break;
          }
          this.depth--;
          if (this.depth === 0) {
            end = at + 1;
            break;
          }
        } else if (c === 44 && this.depth === 0) {
          end = at;
          break;
        }
      }
      if (end === -1) {
        if (s.length > maxChars) throw new ArtifactError('line_too_long', 'One record in this file is far larger than any export would write; Gleaner stopped reading it.');
        break;
      }
      const element = s.slice(0, end).trim();
      if (element) {
        try {
          out.push(JSON.parse(element));
        } catch {
          this.invalid++;
        }
      }
      s = s.slice(end);
      at = 0;
      this.mode = Mode.BetweenElements;
    }
    this.buffer = s;
    this.scanned = this.mode === Mode.InElement ? at : 0;
    return out;
  }
}
