/**
 * Turns the bytes a serial terminal sends into lines, the way a minimal line discipline would: a UART in raw mode
 * gets no help from the kernel. Terminals end a line with CR (Enter), LF or CR LF; Backspace arrives as DEL or BS;
 * arrow keys arrive as ESC [ … sequences, which are dropped. A line longer than maxLineChars is discarded whole
 * (with a count), so a stuck sender or line noise cannot grow memory.
 */

export interface LineAssemblerOptions {
  readonly maxLineChars?: number;
  /** Produce the characters to send back so the user sees what they type (terminals do not echo locally). */
  readonly echo?: boolean;
}

export interface AssembledInput {
  readonly lines: string[];
  /** Text to write back to the terminal (empty unless echo is on). */
  readonly echo: string;
  /** Lines discarded for being too long. */
  readonly overflowed: number;
}

export const DEFAULT_MAX_LINE_CHARS = 1024;

const ESC = 0x1b;
const BS = 0x08;
const DEL = 0x7f;

export class LineAssembler {
  readonly #max: number;
  readonly #echo: boolean;
  readonly #decoder = new TextDecoder('utf-8');
  #line: string[] = [];
  #overflowing = false;
  #afterCr = false;
  #escape: 'none' | 'esc' | 'csi' | 'ss3' = 'none';

  constructor(options: LineAssemblerOptions = {}) {
    this.#max = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    this.#echo = options.echo ?? false;
  }

  push(chunk: Uint8Array): AssembledInput {
    // stream: true keeps a multi-byte character split across two reads.
    const text = this.#decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let echo = '';
    let overflowed = 0;
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      if (this.#escape !== 'none') {
        this.#escape = this.#escapeStep(code);
        continue;
      }
      const afterCr = this.#afterCr;
      this.#afterCr = false;
      if (ch === '\r' || ch === '\n') {
        if (ch === '\n' && afterCr) continue; // the LF of a CR LF pair
        this.#afterCr = ch === '\r';
        if (this.#overflowing) overflowed += 1;
        else lines.push(this.#line.join(''));
        this.#line = [];
        this.#overflowing = false;
        if (this.#echo) echo += '\r\n';
      } else if (code === BS || code === DEL) {
        if (this.#line.length > 0 && !this.#overflowing) {
          this.#line.pop();
          if (this.#echo) echo += '\b \b';
        }
      } else if (code === ESC) {
        this.#escape = 'esc';
      } else if (code >= 0x20 || ch === '\t') {
        if (this.#line.length >= this.#max) this.#overflowing = true;
        else if (!this.#overflowing) {
          this.#line.push(ch);
          if (this.#echo) echo += ch;
        }
      }
      // Other control characters (NUL, ^C, bell…) carry nothing for a line protocol.
    }
    return { lines, echo, overflowed };
  }

  /**
   * ESC [ params final (CSI: parameters 0x30–0x3F, intermediates 0x20–0x2F, final byte 0x40–0x7E), or ESC O x
   * (SS3: what arrow keys send in application-cursor mode); any other ESC x is dropped as a pair.
   */
  #escapeStep(code: number): 'none' | 'esc' | 'csi' | 'ss3' {
    if (this.#escape === 'esc') return code === 0x5b /* [ */ ? 'csi' : code === 0x4f /* O */ ? 'ss3' : 'none';
    if (this.#escape === 'ss3') return 'none';
    return code >= 0x40 && code <= 0x7e ? 'none' : 'csi';
  }
}

/** A line for a serial terminal: every LF becomes CR LF (raw mode does no output translation), ending in CR LF. */
export function terminalLine(text: string): string {
  return `${text.replace(/\r?\n/g, '\r\n')}\r\n`;
}
