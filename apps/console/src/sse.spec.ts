import { SseParser } from './sse';

describe('SseParser', () => {
  it('dispatches named events with their data, across chunk boundaries', () => {
    const parser = new SseParser();
    expect(parser.push('event: progress\nid: 1\nda')).toEqual([]);
    expect(parser.push('ta: {"done":1}\n')).toEqual([]);
    expect(parser.push('\nevent: progress\ndata: {"done":2}\n\n')).toEqual([
      { event: 'progress', data: '{"done":1}', id: '1' },
      { event: 'progress', data: '{"done":2}', id: '1' },
    ]);
  });

  it('joins data lines, takes CRLF and CR line ends, and skips comments and empty messages', () => {
    const parser = new SseParser();
    const chunks = [': keep-alive\r', '\n\r\n', 'data: a\r', '\ndata:b\r\r', 'event: x\n\n'];
    const messages = chunks.flatMap((chunk) => parser.push(chunk));
    expect(messages).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
