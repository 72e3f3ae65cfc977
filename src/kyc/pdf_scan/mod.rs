//! Finds the PDF names that make a document act rather than show
//! (`/JavaScript`, `/JS`, `/Launch`, `/EmbeddedFile(s)`, `/RichMedia`, XFA
//! forms, and the actions that open or send something elsewhere), in one
//! streamed pass. Names are compared with their `#xx` escapes decoded; a
//! `/` inside a string or a comment counts too (a false alarm there costs a
//! re-export, a miss could cost much more).
//! Dictionaries can hide inside compressed object streams (PDF 1.5+), so
//! those streams are inflated and scanned too; a stream is taken for one by
//! `/Type /ObjStm` or by its `/First` key (viewers find object streams
//! through the cross-reference stream, whatever their type says). Other
//! streams (page content, images) are skipped, because random image bytes
//! would now and then spell `/JS`. An object stream that is not plainly
//! Flate-compressed (another filter as well, or a predictor rearranging the
//! inflated bytes) or that inflates past a bomb limit cannot be checked and
//! is refused.
//!
//! A skipped stream ends at its `endstream` keyword, whatever `/Length`
//! says; a viewer may trust `/Length` instead, or jump into the stream's
//! bytes through the cross-reference table, and read an object there that
//! this scan never saw. So an object header (`12 0 obj`) inside any stream's
//! bytes is refused as unreadable: no real stream needs one.

use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};

use lexer::{ends_with, object_header, Keywords, Lex, Names};

mod lexer;
#[cfg(test)]
mod tests;

const ACTIVE: [&[u8]; 13] = [
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"RichMediaExecute",
    b"XFA",
    b"GoToR",
    b"GoToE",
    b"SubmitForm",
    b"ImportData",
    b"Rendition",
];

/// Filters besides Flate, in full and abbreviated (inline) form: on an
/// object stream, the inflated bytes are not the objects themselves.
const OTHER_FILTERS: [&[u8]; 12] = [
    b"ASCIIHexDecode",
    b"AHx",
    b"ASCII85Decode",
    b"A85",
    b"LZWDecode",
    b"LZW",
    b"RunLengthDecode",
    b"RL",
    b"Crypt",
    b"DCTDecode",
    b"JPXDecode",
    b"JBIG2Decode",
];
/// More inflated object-stream bytes than a 10 MiB document ever needs (only
/// object streams are inflated; page images are not): a bomb is refused
/// after this much work, whatever it would expand to.
const MAX_INFLATED: u64 = 32 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    Active,
    /// An object stream this scanner cannot read.
    Unreadable,
}

fn active(name: &[u8]) -> bool {
    ACTIVE.contains(&name)
}

/// The whole-file scan: names outside streams, and the contents of object streams.
struct Scan {
    names: Names,
    /// The last 16 bytes seen, newest lowest, to spot the `obj`, `stream`
    /// and `endstream` keywords (a shift register: no allocation per byte).
    tail: u128,
    /// Names of the object being read, since its `obj` keyword.
    objstm: bool,
    flate: bool,
    /// Another filter, or decode parameters (a predictor), on the object.
    reshaped: bool,
    stream: Option<Stream>,
    lex: Lex,
    keywords: Keywords,
    inflated: u64,
    max_inflated: u64,
    verdict: Verdict,
}

struct Stream {
    /// Inflating (an object stream), or just looking for its end.
    inflate: Option<(Decompress, Names)>,
    started: bool,
}

impl Scan {
    fn new(max_inflated: u64) -> Self {
        Scan {
            names: Names::default(),
            tail: 0,
            objstm: false,
            flate: false,
            reshaped: false,
            stream: None,
            lex: Lex::Code,
            keywords: Keywords::default(),
            inflated: 0,
            max_inflated,
            verdict: Verdict::Clean,
        }
    }

    fn remember(&mut self, b: u8) {
        self.tail = (self.tail << 8) | b as u128;
    }

    /// Takes in bytes that start no name and end no keyword: only their last
    /// 16 matter, for the keyword register.
    fn skip(&mut self, bytes: &[u8]) {
        for &b in &bytes[bytes.len().saturating_sub(16)..] {
            self.remember(b);
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        let mut i = 0;
        while i < chunk.len() && self.verdict == Verdict::Clean {
            if self.stream.is_some() {
                i += self.feed_stream(&chunk[i..]);
                continue;
            }
            // Outside a name, in comments and strings, only a few bytes can
            // matter (see `Lex::stops`): jump to the next of them.
            let busy = self.names.busy() || matches!(self.lex, Lex::Text { escaped: true, .. });
            if let (false, Some(next)) = (busy, self.lex.next_stop(&chunk[i..])) {
                let rest = &chunk[i..];
                self.skip(&rest[..next]);
                i += next;
                if i == chunk.len() {
                    break;
                }
            }
            let b = chunk[i];
            i += 1;
            if let Some(n) = self.names.push(b) {
                self.saw_name(&n);
            }
            self.remember(b);
            let eol = b == b'\n' || b == b'\r';
            let code = matches!(self.lex, Lex::Code | Lex::Angle);
            self.lex = self.lex.after(b);
            // After `>> stream`, the data starts past the end of the line,
            // whatever stands on the rest of it (viewers skip it unread).
            if eol && self.keywords.pending {
                self.start_stream(b);
                if self.verdict != Verdict::Clean {
                    return;
                }
                continue;
            }
            if !code {
                // `stream` where the syntax says no stream starts, in an
                // object that is an object stream: what a viewer inflates
                // would go unread. Refused rather than guessed.
                if eol && self.objstm && self.stream_keyword_before_eol(b) {
                    self.verdict = Verdict::Unreadable;
                    return;
                }
                continue;
            }
            if ends_with(self.tail, b"obj") && !((self.tail >> 24) as u8).is_ascii_alphabetic() {
                self.objstm = false;
                self.flate = false;
                self.reshaped = false;
            }
            if self.keywords.push(b) {
                self.keywords.pending = true;
                if eol {
                    self.start_stream(b);
                    continue;
                }
            }
            if eol && self.objstm && self.stream_keyword_before_eol(b) {
                self.verdict = Verdict::Unreadable;
                return;
            }
        }
    }

    /// The stream's data starts after the end-of-line byte `eol`: an object
    /// stream is inflated (if it can be read), any other skipped.
    fn start_stream(&mut self, eol: u8) {
        self.keywords = Keywords::default();
        self.lex = Lex::Code;
        if self.objstm && (!self.flate || self.reshaped) {
            self.verdict = Verdict::Unreadable;
            return;
        }
        let inflate = self.objstm.then(|| (Decompress::new(true), Names::default()));
        self.stream = Some(Stream { inflate, started: eol == b'\n' });
        self.tail = 0;
    }

    /// Whether the word `stream` came right before the end-of-line byte
    /// `eol` just seen, wherever it stands.
    fn stream_keyword_before_eol(&self, eol: u8) -> bool {
        let mut t = self.tail >> 8;
        if eol == b'\n' && (t & 0xFF) as u8 == b'\r' {
            t >>= 8;
        }
        ends_with(t, b"stream") && !ends_with(t, b"endstream")
    }

    fn saw_name(&mut self, n: &[u8]) {
        if active(n) {
            self.verdict = Verdict::Active;
        } else if n == b"ObjStm" || n == b"First" {
            self.objstm = true;
        } else if n == b"FlateDecode" || n == b"Fl" {
            self.flate = true;
        } else if OTHER_FILTERS.contains(&n) || n == b"DecodeParms" || n == b"DP" || n == b"Predictor" {
            self.reshaped = true;
        }
    }

    /// Consumes stream data up to and including `endstream`; returns how much was used.
    fn feed_stream(&mut self, chunk: &[u8]) -> usize {
        let stream = self.stream.as_mut().expect("in a stream");
        let mut used = 0;
        // A stream begun by `stream\r` may have its `\n` still to come.
        if !stream.started {
            stream.started = true;
            if chunk.first() == Some(&b'\n') {
                used = 1;
            }
        }
        let data = &chunk[used..];
        // Find `endstream`, across chunk borders too, and any object header
        // hidden before it: jump from `m` or `j` to the next.
        let mut end = None;
        let mut k = 0;
        while let Some(at) = memchr::memchr3(b'm', b'j', b'r', &data[k..]) {
            for &b in &data[(k + at).saturating_sub(16).max(k)..=k + at] {
                self.tail = (self.tail << 8) | b as u128;
            }
            k += at + 1;
            if ends_with(self.tail, b"endstream") {
                end = Some(k);
                break;
            }
            // An object, or a trailer whose `/Root` dictionary a viewer
            // reaches through `startxref`, hidden in the stream's bytes.
            // Each check only where its keyword can end (this loop is the upload's hot path).
            let hidden = match data[k - 1] {
                b'j' => object_header(self.tail),
                b'r' => ends_with(self.tail, b"trailer"),
                _ => false,
            };
            if hidden {
                self.verdict = Verdict::Unreadable;
                return used + k;
            }
        }
        if end.is_none() {
            for &b in &data[data.len().saturating_sub(16).max(k)..] {
                self.tail = (self.tail << 8) | b as u128;
            }
        }
        let body = &data[..end.unwrap_or(data.len())];
        if let Some((inflater, names)) = stream.inflate.as_mut() {
            let mut input = body;
            let mut out = [0u8; 32 * 1024];
            while !input.is_empty() {
                let before = (inflater.total_in(), inflater.total_out());
                match inflater.decompress(input, &mut out, FlushDecompress::None) {
                    Ok(status) => {
                        let read = (inflater.total_in() - before.0) as usize;
                        let wrote = (inflater.total_out() - before.1) as usize;
                        self.inflated += wrote as u64;
                        for &b in &out[..wrote] {
                            if names.push(b).is_some_and(|n| active(&n)) {
                                self.verdict = Verdict::Active;
                            }
                        }
                        if self.inflated > self.max_inflated {
                            self.verdict = Verdict::Unreadable;
                        }
                        input = &input[read..];
                        if status == Status::StreamEnd || (read == 0 && wrote == 0) || self.verdict != Verdict::Clean {
                            break;
                        }
                    }
                    Err(_) => {
                        self.verdict = Verdict::Unreadable;
                        break;
                    }
                }
            }
        }
        match end {
            Some(k) => {
                if let Some((_, mut names)) = stream.inflate.take() {
                    if names.finish().is_some_and(|n| active(&n)) {
                        self.verdict = Verdict::Active;
                    }
                }
                self.stream = None;
                self.objstm = false;
                self.flate = false;
                self.reshaped = false;
                self.tail = 0;
                used + k
            }
            None => used + data.len(),
        }
    }
}

/// Scans a whole PDF from `reader`, holding only a small buffer.
pub fn scan(reader: impl Read) -> std::io::Result<Verdict> {
    scan_within(reader, MAX_INFLATED)
}

fn scan_within(mut reader: impl Read, max_inflated: u64) -> std::io::Result<Verdict> {
    let mut scan = Scan::new(max_inflated);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        scan.feed(&buf[..n]);
        if scan.verdict != Verdict::Clean {
            return Ok(scan.verdict);
        }
    }
    if scan.names.finish().is_some_and(|n| active(&n)) {
        return Ok(Verdict::Active);
    }
    // A string never closed: the scan's idea of the syntax went astray
    // somewhere, so what it skipped cannot be trusted.
    if matches!(scan.lex, Lex::Text { .. } | Lex::Hex | Lex::Angle) || scan.stream.is_some() {
        return Ok(Verdict::Unreadable);
    }
    Ok(scan.verdict)
}
