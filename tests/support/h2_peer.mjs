// An HTTP/2 peer for the tests: Node.js's http2 module as an h2c server (prior knowledge), on a
// free loopback port, counting exactly what it did. A second, plain HTTP/1.1 port answers
// GET /count with those counts as JSON, so that counting never adds to what is counted.
//   node h2_peer.mjs            h2c server
//   node h2_peer.mjs --oversize a raw TCP server that answers any HTTP/2 client with SETTINGS
//                               and then a frame larger than HTTP/2's default maximum (16384)
//   node h2_peer.mjs --header-bomb a raw TCP server that answers each HEADERS frame with a
//                               response whose header block adds a 4,000-octet field to
//                               HPACK's table and names it again 100 times in one octet each
//                               (about 400 KB of fields from 4 KB), whatever the client's
//                               SETTINGS_MAX_HEADER_LIST_SIZE, which it notes
//   node h2_peer.mjs --early-answer a raw TCP server with a stream window of 1,000 octets that
//                               answers each request at its HEADERS frame with a whole 413
//                               (HEADERS, DATA with END_STREAM) and never opens the window
//                               for the rest of its body; it counts the client's RST_STREAMs
//   node h2_peer.mjs --no-streams a raw TCP server whose SETTINGS allow no stream at once
//   node h2_peer.mjs --head-only a raw TCP server that answers each request with a head alone
// Prints "h2 port P control port C" once both listen.
// Paths of the h2c server:
//   /rst        the stream is reset (RST_STREAM CANCEL) without an answer
//   /goaway     GOAWAY (INTERNAL_ERROR) with a last stream below this one, which stays unanswered
//               (the client is expected to close the connection)
//   /redirect   302 to /ok
//   /cookie     sets a cookie; /echo-cookie answers with the cookie header it got
//   /echo       answers with the request's body
//   /slow       answers after 1.5 s
//   /huge       200 with a body of 65 MiB (sent as the client's window allows)
//   anything else: 200 "ok\n"
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

const { constants } = http2;
const counts = { sessions: 0, streams: 0, answered: 0, resets: 0, goaways: 0, max_concurrent: 0,
                 client_max_header_list: 0 };

function answer(stream, status, body, headers = {}) {
  counts.answered++;
  stream.respond({ ':status': status, 'content-type': 'text/plain', ...headers });
  stream.end(body);
}

function h2c() {
  const server = http2.createServer();
  server.on('session', (session) => {
    counts.sessions++;
    session.open = 0;  // streams open at once on this session, for max_concurrent
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    counts.streams++;
    const session = stream.session;
    counts.max_concurrent = Math.max(counts.max_concurrent, ++session.open);
    stream.on('close', () => session.open--);
    stream.on('error', () => {});
    const path = headers[':path'];
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (stream.destroyed) return;
      if (path === '/rst') {
        counts.resets++;
        stream.close(constants.NGHTTP2_CANCEL);
      } else if (path === '/goaway') {
        counts.goaways++;
        session.goaway(constants.NGHTTP2_INTERNAL_ERROR, Math.max(0, stream.id - 2),
                       Buffer.from('test goaway'));
      } else if (path === '/redirect') {
        answer(stream, 302, '', { location: '/ok' });
      } else if (path === '/cookie') {
        answer(stream, 200, 'ok\n', { 'set-cookie': 'sid=h2-session; Path=/' });
      } else if (path === '/echo-cookie') {
        answer(stream, 200, headers.cookie || '');
      } else if (path === '/echo') {
        answer(stream, 200, Buffer.concat(chunks));
      } else if (path === '/huge') {
        counts.answered++;
        stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1 << 20, 'x');
        let left = 65;
        const more = () => {
          while (left > 0 && !stream.destroyed) {
            left--;
            if (!stream.write(chunk)) return stream.once('drain', more);
          }
          if (!stream.destroyed) stream.end();
        };
        more();
      } else if (path === '/slow') {
        setTimeout(() => { if (!stream.destroyed) answer(stream, 200, 'slow\n'); }, 1500);
      } else {
        answer(stream, 200, 'ok\n');
      }
    });
  });
  return server;
}

function oversize() {
  return net.createServer((socket) => {
    counts.sessions++;
    socket.on('error', () => {});
    socket.once('data', () => {
      const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);  // empty SETTINGS
      const length = 20000;  // DATA on stream 1, beyond SETTINGS_MAX_FRAME_SIZE's default
      const header = Buffer.from([length >> 16, (length >> 8) & 255, length & 255, 0, 0, 0, 0, 0, 1]);
      socket.write(Buffer.concat([settings, header, Buffer.alloc(length)]));
    });
  });
}

/// A raw HTTP/2 server, frames written by hand: `settings` is its SETTINGS payload, and
/// `answer(stream)` the frames it answers each request's HEADERS frame with. It counts the
/// client's RST_STREAM frames (resets) and notes its SETTINGS_MAX_HEADER_LIST_SIZE.
function rawH2(settings, answer) {
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  return net.createServer((socket) => {
    counts.sessions++;
    socket.on('error', () => {});
    let input = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.write(frame(4, 0, 0, settings));
    socket.on('data', (data) => {
      input = Buffer.concat([input, data]);
      if (!prefaceSeen) {
        if (input.length < preface.length) return;
        input = input.subarray(preface.length);
        prefaceSeen = true;
      }
      while (input.length >= 9) {
        const length = input.readUIntBE(0, 3);
        if (input.length < 9 + length) return;
        const type = input[3], flags = input[4], stream = input.readUInt32BE(5) & 0x7fffffff;
        const payload = input.subarray(9, 9 + length);
        input = input.subarray(9 + length);
        if (type === 4 && (flags & 1) === 0) {  // SETTINGS: noted, acknowledged
          for (let i = 0; i + 6 <= payload.length; i += 6)
            if (payload.readUInt16BE(i) === 6) counts.client_max_header_list = payload.readUInt32BE(i + 2);
          socket.write(frame(4, 1, 0, Buffer.alloc(0)));
        } else if (type === 1) {
          counts.streams++;
          counts.answered++;
          socket.write(answer(stream));
        } else if (type === 3) {
          counts.resets++;
        }
      }
    });
  });
}

function frame(type, flags, stream, payload) {
  const h = Buffer.from([payload.length >> 16, (payload.length >> 8) & 255, payload.length & 255,
                         type, flags, 0, 0, 0, 0]);
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

// :status 200 (static index 8); "x-big" literal with incremental indexing, its value's length
// 4000 as HPACK's integer with a 7-bit prefix (127, then 3873 in 7-bit groups); index 62.
const bombBlock = Buffer.concat([Buffer.from([0x88, 0x40, 5]), Buffer.from('x-big'),
                                 Buffer.from([0x7f, 0xa1, 0x1e]), Buffer.alloc(4000, 'v'),
                                 Buffer.alloc(100, 0x80 | 62)]);
const headerBomb = () => rawH2(Buffer.alloc(0), (stream) => frame(1, 5, stream, bombBlock));
// SETTINGS_INITIAL_WINDOW_SIZE 1000; ":status" (static name 8) "413" without indexing, then
// DATA "too large", END_STREAM.
const earlyAnswer = () => rawH2(Buffer.from([0, 4, 0, 0, 0x03, 0xe8]), (stream) => Buffer.concat([
  frame(1, 4, stream, Buffer.from([0x08, 3, 0x34, 0x31, 0x33])),
  frame(0, 1, stream, Buffer.from('too large'))]));

// SETTINGS_MAX_CONCURRENT_STREAMS 0: no request may start.
const noStreams = () => rawH2(Buffer.from([0, 3, 0, 0, 0, 0]), () => Buffer.alloc(0));
// A response's head (:status 200), and nothing more.
const headOnly = () => rawH2(Buffer.alloc(0), (stream) => frame(1, 4, stream, Buffer.from([0x88])));
// ":status" "000" without indexing, END_HEADERS and END_STREAM: three digits, as nghttp2 checks,
// and no HTTP status.
const status000 = () => rawH2(Buffer.alloc(0),
  (stream) => frame(1, 5, stream, Buffer.from([0x08, 3, 0x30, 0x30, 0x30])));

const server = process.argv.includes('--oversize') ? oversize()
  : process.argv.includes('--header-bomb') ? headerBomb()
  : process.argv.includes('--early-answer') ? earlyAnswer()
  : process.argv.includes('--no-streams') ? noStreams()
  : process.argv.includes('--head-only') ? headOnly()
  : process.argv.includes('--status-000') ? status000() : h2c();
const control = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(counts));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
console.log(`h2 port ${server.address().port} control port ${control.address().port}`);
