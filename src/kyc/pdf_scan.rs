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

/// Reads the names out of bytes fed in any chunking.
#[derive(Default)]
struct Names {
    name: Option<Vec<u8>>,
    hex: Option<Vec<u8>>,
}

impl Names {
    /// Feeds one byte; returns the name it completed, if any.
    fn push(&mut self, b: u8) -> Option<Vec<u8>> {
        if let Some(h) = self.hex.as_mut() {
            if b.is_ascii_hexdigit() {
                h.push(b);
                if h.len() == 2 {
                    let decoded = std::str::from_utf8(h).ok().and_then(|s| u8::from_str_radix(s, 16).ok());
                    if let (Some(n), Some(d)) = (self.name.as_mut(), decoded) {
                        n.push(d);
                    }
                    self.hex = None;
                }
                return None;
            }
            // Not an escape after all: as a viewer does, the `#` (and a digit
            // read) stay in the name, and this byte is read as any other.
            let kept = self.hex.take().unwrap_or_default();
            if let Some(n) = self.name.as_mut() {
                n.push(b'#');
                n.extend(kept);
                n.truncate(64);
            }
        }
        let ends_name = is_space(b) || b"/[]()<>{}%".contains(&b);
        match self.name.as_mut() {
            Some(_) if b == b'#' => {
                self.hex = Some(Vec::with_capacity(2));
                None
            }
            Some(n) if !ends_name => {
                if n.len() < 64 {
                    n.push(b);
                }
                None
            }
            Some(_) => {
                let done = self.name.take();
                if b == b'/' {
                    self.name = Some(Vec::new());
                }
                done
            }
            None => {
                if b == b'/' {
                    self.name = Some(Vec::new());
                }
                None
            }
        }
    }

    /// Whether a name is being read (every byte counts then).
    fn busy(&self) -> bool {
        self.name.is_some() || self.hex.is_some()
    }

    fn finish(&mut self) -> Option<Vec<u8>> {
        self.hex = None;
        self.name.take()
    }
}

/// PDF whitespace: NUL, tab, line feed, form feed, carriage return, space.
fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether the newest bytes of the shift register `tail` spell `keyword` (at most 16 bytes).
fn ends_with(tail: u128, keyword: &[u8]) -> bool {
    let packed = keyword.iter().fold(0u128, |acc, &b| (acc << 8) | b as u128);
    let mask = if keyword.len() >= 16 { u128::MAX } else { (1u128 << (8 * keyword.len())) - 1 };
    tail & mask == packed
}

/// Whether the newest bytes of `tail` are an object header as a viewer's
/// lexer reads one: a number, whitespace, a number, optional whitespace,
/// `obj`, where a number is anything of digits, signs, points and
/// exponents (`12 0 obj`, `12 0obj`, `12 +0 obj`, `12 - obj`, `12 0e0 obj`)
/// and a comment counts as whitespace (`12 0%x⏎obj`), after anything (a
/// viewer may jump straight to it). Where the 16 bytes run out inside what
/// could still be a header, it counts as one: a false alarm asks for a
/// re-export, a miss hides an object.
fn object_header(tail: u128) -> bool {
    if !ends_with(tail, b"obj") {
        return false;
    }
    let at = |i: usize| (tail >> (8 * i)) as u8;
    // Past whitespace and comments, newest first: the index of the next
    // byte, or `None` when the register runs out first.
    let skip_space = |mut i: usize| -> Option<usize> {
        while i < 16 {
            let b = at(i);
            if b == b'\n' || b == b'\r' {
                // A comment on the line this ends is whitespace too; it
                // starts at the line's first `%`.
                let mut k = i + 1;
                let mut first_percent = None;
                while k < 16 && !matches!(at(k), b'\n' | b'\r') {
                    if at(k) == b'%' {
                        first_percent = Some(k);
                    }
                    k += 1;
                }
                if k == 16 {
                    return None;
                }
                i = first_percent.map_or(i + 1, |p| p + 1);
            } else if is_space(b) {
                i += 1;
            } else {
                return Some(i);
            }
        }
        None
    };
    // Past a number: the index after it, or `None` when the register runs out inside it.
    let number = |mut i: usize| -> Option<usize> {
        while i < 16 && (at(i).is_ascii_digit() || b"+-.eE".contains(&at(i))) {
            i += 1;
        }
        (i < 16).then_some(i)
    };
    let Some(gen_end) = skip_space(3) else { return true };
    let Some(gen_start) = number(gen_end) else { return true };
    if gen_start == gen_end {
        return false;
    }
    let Some(num_end) = skip_space(gen_start) else { return true };
    if num_end == gen_start {
        return false;
    }
    number(num_end).is_none_or(|num_start| num_start > num_end)
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

/// Where the scan is in the PDF's syntax outside streams: only in plain
/// code do `obj` and `stream` count as keywords (names count everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    /// `%` to the end of the line.
    Comment,
    /// A literal string: `(` … `)`, nested, with `\` escaping the next byte.
    Text {
        depth: u32,
        escaped: bool,
    },
    /// One `<` read: `<<` opens a dictionary, anything else a hex string.
    Angle,
    /// A hex string `<` … `>`: `%` and `(` in it are nothing.
    Hex,
}

impl Lex {
    fn after(self, b: u8) -> Lex {
        match self {
            Lex::Code if b == b'%' => Lex::Comment,
            Lex::Code if b == b'(' => Lex::Text { depth: 1, escaped: false },
            Lex::Code if b == b'<' => Lex::Angle,
            Lex::Code => Lex::Code,
            Lex::Angle if b == b'<' || b == b'>' => Lex::Code,
            Lex::Angle | Lex::Hex if b == b'>' => Lex::Code,
            Lex::Angle | Lex::Hex => Lex::Hex,
            Lex::Comment if b == b'\n' || b == b'\r' => Lex::Code,
            Lex::Comment => Lex::Comment,
            Lex::Text { depth, escaped: true } => Lex::Text { depth, escaped: false },
            Lex::Text { depth, .. } if b == b'\\' => Lex::Text { depth, escaped: true },
            Lex::Text { depth, .. } if b == b'(' => Lex::Text { depth: depth.saturating_add(1), escaped: false },
            Lex::Text { depth: 1, .. } if b == b')' => Lex::Code,
            Lex::Text { depth, .. } if b == b')' => Lex::Text { depth: depth - 1, escaped: false },
            text => text,
        }
    }

    /// Where in `rest` the next byte that can change this state or start a
    /// name is; the scan jumps over the bytes before it (with memchr: a
    /// long comment or string is the hot path of a padded upload). `None`
    /// in plain code, which is read byte by byte (keywords).
    fn next_stop(self, rest: &[u8]) -> Option<usize> {
        let found = match self {
            Lex::Code | Lex::Angle => return None,
            Lex::Comment => memchr::memchr3(b'/', b'\n', b'\r', rest),
            Lex::Text { .. } => [memchr::memchr3(b'/', b'(', b')', rest), memchr::memchr(b'\\', rest)].into_iter().flatten().min(),
            Lex::Hex => memchr::memchr(b'>', rest),
        };
        Some(found.unwrap_or(rest.len()))
    }
}

/// The plain-code tokens that decide where a stream starts: `>>`, then
/// whitespace or comments only, then the keyword `stream`, then anything to
/// the end of the line (as viewers read it).
#[derive(Debug, Default)]
struct Keywords {
    /// The last token was `>>`.
    dict_end: bool,
    /// A `>` was just read (half of `>>`).
    half: bool,
    /// The regular characters of the current token (only the first 8 kept)
    /// and whether it began right after `>>`.
    word: Vec<u8>,
    word_after_dict: bool,
    /// `stream` was read after `>>`: the data starts after the next line end.
    pending: bool,
}

impl Keywords {
    /// Takes one byte of plain code; true when the keyword `stream` (after
    /// a dictionary) has just ended.
    fn push(&mut self, b: u8) -> bool {
        let regular = !is_space(b) && !b"/[]()<>{}%".contains(&b);
        if regular {
            if self.word.is_empty() {
                self.word_after_dict = self.dict_end;
            }
            if self.word.len() < 8 {
                self.word.push(b);
            }
            self.dict_end = false;
            self.half = false;
            return false;
        }
        let ended = self.word_after_dict && self.word == b"stream";
        self.word.clear();
        self.word_after_dict = false;
        if b == b'>' {
            self.dict_end = self.half;
            self.half = !self.half;
        } else if !is_space(b) && b != b'%' {
            // Whitespace and comments keep what came before; any other token does not.
            self.dict_end = false;
            self.half = false;
        } else {
            self.half = false;
        }
        ended
    }
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::ZlibEncoder;
    use flate2::Compression;

    use super::{scan, scan_within, Names, Verdict};

    fn verdict(bytes: &[u8]) -> Verdict {
        scan(bytes).unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn object_stream(filter: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = format!("%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 {filter} /Length {} >>\nstream\n", data.len()).into_bytes();
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    #[test]
    fn active_names_are_found_even_escaped() {
        assert_eq!(verdict(b"<< /S /JavaScript /JS (app.alert(1)) >>"), Verdict::Active);
        assert_eq!(verdict(b"<</OpenAction<</S/J#61vaScript>>>>"), Verdict::Active, "hex-escaped name");
        assert_eq!(verdict(b"/Names << /EmbeddedFiles 3 0 R >>"), Verdict::Active);
        assert_eq!(verdict(b"/S /Launch"), Verdict::Active);
        assert_eq!(verdict(b"<< /Type /Page /Contents 4 0 R >> (JavaScript in a string is text)"), Verdict::Clean);
        assert_eq!(verdict(b"/JSX /Font"), Verdict::Clean);
    }

    #[test]
    fn names_hidden_in_a_compressed_object_stream_are_found() {
        let hidden = zlib(b"12 0 << /S /JavaScript /JS (app.alert(1)) >>");
        assert_eq!(verdict(&object_stream("/Filter /FlateDecode", &hidden)), Verdict::Active);
        let escaped = zlib(b"12 0 << /Type /Filespec /EF << /F 13 0 R >> /Type /Embedded#46ile >>");
        assert_eq!(verdict(&object_stream("/Filter /FlateDecode", &escaped)), Verdict::Active);
        let harmless = zlib(b"12 0 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
        assert_eq!(verdict(&object_stream("/Filter /FlateDecode", &harmless)), Verdict::Clean);
    }

    /// Hands the scanner `.1` bytes a read.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// The verdict, the same whatever the read sizes.
    fn verdict_in_pieces(pdf: &[u8]) -> Verdict {
        let whole = verdict(pdf);
        for size in 1..=9 {
            assert_eq!(scan(Trickle(pdf, size)).unwrap(), whole, "{size} bytes a read");
        }
        whole
    }

    #[test]
    fn found_whatever_the_read_sizes() {
        let pdf = object_stream("/Filter /FlateDecode", &zlib(b"1 0 << /OpenAction << /S /JavaScript >> >>"));
        assert_eq!(scan(Trickle(&pdf, 3)).unwrap(), Verdict::Active);
    }

    /// What only looks like a stream's start (the keyword in a comment, in
    /// text, inside a word) starts nothing, so nothing after it is skipped.
    #[test]
    fn only_a_dictionary_followed_by_stream_starts_one() {
        let action = "1 0obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj";
        for lure in ["% stream\n", "(a stream\n) ", "/mainstream\n", "(\\) >> stream\n) "] {
            let pdf = format!("%PDF-1.4\n{lure}{action}\n% endstream\n%%EOF\n");
            assert_eq!(verdict_in_pieces(pdf.as_bytes()), Verdict::Active, "{lure:?}");
        }
        // A title that says `stream` on a line of its own is no false alarm.
        let titled = b"%PDF-1.4\n1 0 obj << /Title (a stream\nof thoughts) >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n";
        assert_eq!(verdict_in_pieces(titled), Verdict::Clean);
        // `obj` in text does not reset what the object's dictionary said.
        let js = zlib(b"12 0 << /S /JavaScript /JS (app.alert(1)) >>");
        assert_eq!(verdict_in_pieces(&stream_with("/Type /ObjStm (x obj) /N 1 /First 4 /Filter /FlateDecode", &js)), Verdict::Active);
    }

    #[test]
    fn unreadable_object_streams_are_refused() {
        assert_eq!(verdict(&object_stream("/Filter /LZWDecode", b"\x80\x0b\x60\x50")), Verdict::Unreadable);
        assert_eq!(verdict(&object_stream("/Filter /FlateDecode", b"not zlib at all")), Verdict::Unreadable);
        // A zlib bomb: more out than the limit (a small limit keeps the test quick).
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![0u8; 3 * 1024 * 1024]).unwrap();
        let bomb = object_stream("/Filter /FlateDecode", &e.finish().unwrap());
        assert_eq!(scan_within(&bomb[..], 1024 * 1024).unwrap(), Verdict::Unreadable);
        assert_eq!(scan_within(&bomb[..], 4 * 1024 * 1024).unwrap(), Verdict::Clean);
    }

    #[test]
    fn the_default_inflate_limit_leaves_room_for_a_real_document() {
        // 3 MiB of harmless object-stream text: far below what the bomb limit
        // is for, so the product's own limit must let it through.
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(b"12 0 << /Type /Font >> ").unwrap();
        e.write_all(&vec![b' '; 3 * 1024 * 1024]).unwrap();
        let big = object_stream("/Filter /FlateDecode", &e.finish().unwrap());
        assert_eq!(verdict(&big), Verdict::Clean);
    }

    /// An object stream dictionary `dict` (without `stream`) around `data`.
    fn stream_with(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = format!("%PDF-1.5\n5 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    /// What a viewer runs but a careless scanner reads past (#13: the check
    /// cannot be bypassed by syntax).
    #[test]
    fn syntax_does_not_hide_an_action() {
        let js = b"12 0 << /S /JavaScript /JS (app.alert(1)) >>";
        // An object stream with no /Type, found by its /First (viewers go by the xref stream).
        assert_eq!(verdict(&stream_with("/N 1 /First 4 /Filter /FlateDecode", &zlib(js))), Verdict::Active);
        // Inflated, then hex-decoded: the names are hex digits after inflating.
        let hex: String = js.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(verdict(&stream_with("/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /ASCIIHexDecode]", &zlib(hex.as_bytes()))), Verdict::Unreadable);
        // A PNG predictor interleaves a filter byte per row: refused, not read wrong.
        assert_eq!(
            verdict(&stream_with("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >>", &zlib(js))),
            Verdict::Unreadable
        );
        // The abbreviated filter name is still Flate.
        assert_eq!(verdict(&stream_with("/Type /ObjStm /N 1 /First 4 /Filter /Fl", &zlib(js))), Verdict::Active);
        // A comment or a string is no hiding place for a name.
        assert_eq!(verdict(b"%PDF-1.4\n% /JavaScript\n1 0 obj << >> endobj\n%%EOF\n"), Verdict::Active);
        assert_eq!(verdict(b"%PDF-1.4\n1 0 obj << /T (see /Launch) >> endobj\n%%EOF\n"), Verdict::Active);
        // An incremental update appended after the first %%EOF is scanned too.
        assert_eq!(verdict(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj\n%%EOF\n"), Verdict::Active);
        // XFA forms (scriptable) and actions that open or send elsewhere.
        assert_eq!(verdict(b"<< /AcroForm << /XFA 7 0 R >> >>"), Verdict::Active);
        assert_eq!(verdict(b"<< /A << /S /GoToR /F (other.pdf) >> >>"), Verdict::Active);
        assert_eq!(verdict(b"<< /A << /S /SubmitForm /F (https://x.example) >> >>"), Verdict::Active);
        assert_eq!(verdict(b"<< /A << /S /ImportData >> >>"), Verdict::Active);
        // What a bank statement carries stays clean: links, outlines, a font.
        assert_eq!(
            verdict(b"<< /Type /Outlines /First 3 0 R /Last 3 0 R >> << /A << /S /URI /URI (https://bank.example) >> >> << /Type /Font >>"),
            Verdict::Clean
        );
    }

    #[test]
    fn a_name_is_kept_to_64_bytes_however_long_it_runs() {
        let mut names = Names::default();
        assert_eq!(names.push(b'/'), None);
        for _ in 0..100 {
            assert_eq!(names.push(b'A'), None);
        }
        assert_eq!(names.push(b' ').map(|n| n.len()), Some(64));
    }

    #[test]
    fn an_object_hidden_in_a_stream_is_refused_whatever_length_says() {
        let hidden = b"9 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj";
        // /Length ends the image early; a viewer trusting it reads object 9.
        let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Type /XObject /Subtype /Image /Length 4 >>\nstream\nabcd\n".to_vec();
        pdf.extend_from_slice(hidden);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        assert_eq!(verdict(&pdf), Verdict::Unreadable);
        // Or the image holds it whole and the cross-reference table points into it.
        let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 90 >>\nstream\n\xff\xd8".to_vec();
        pdf.extend_from_slice(hidden);
        pdf.extend_from_slice(b"\xff\xd9\nendstream\nendobj\n%%EOF\n");
        assert_eq!(verdict(&pdf), Verdict::Unreadable);
        // Found across read sizes, with whitespace of every kind, and in
        // every spelling a viewer's lexer reads as a header.
        let spaced = stream_with("/Length 40", b"\x00\x01 123\r\n0\x0cobj << >>");
        assert_eq!(verdict_in_pieces(&spaced), Verdict::Unreadable);
        for header in ["9 0obj", "9 +0 obj", "9 -0 obj", "9 0.0 obj", "9 0%x\nobj", "9%c\r0 obj", "9 0\nobj", "9 0%a comment longer than sixteen bytes\nobj"] {
            let pdf = stream_with("/Length 99", format!("\u{7f}{header} << /S /JavaScript >> endobj").as_bytes());
            assert_eq!(verdict_in_pieces(&pdf), Verdict::Unreadable, "{header:?}");
        }
        // Not a header: letters before `obj`, or no generation number.
        assert_eq!(verdict(&stream_with("/Length 30", b"\x00 12 0 xobj 7 obj blob")), Verdict::Clean);
    }

    #[test]
    fn a_megabyte_of_image_bytes_is_no_false_alarm() {
        // Deterministic noise (xorshift): what a photo's compressed bytes look like.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Subtype /Image /Filter /DCTDecode >>\nstream\n".to_vec();
        pdf.extend_from_slice(&noise);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        assert_eq!(verdict(&pdf), Verdict::Clean);
    }

    /// The second review's cases: ways to make the scan skip what a viewer
    /// reads, or miss an object stream a viewer inflates.
    #[test]
    fn no_syntax_makes_the_scan_skip_what_a_viewer_reads() {
        let action = "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>";
        // Where no stream starts: `>>` in a comment, `%` and `(` in a hex string.
        for lure in ["<< /Type /Catalog %>>\nstream\n", "<< /X <%>(\n>> stream\n) ", "<< /X <25>(\n>> stream\n) "] {
            let pdf = format!("%PDF-1.4\n1 0 obj {lure}{action} /Z (endstream) >> endobj\n%%EOF\n");
            assert_eq!(verdict_in_pieces(pdf.as_bytes()), Verdict::Active, "{lure:?}");
        }
        // Where an object stream does start, however it is spelled: it is inflated and read.
        let js = zlib(b"12 0 << /S /JavaScript /JS (app.alert(1)) >>");
        for between in [" ", "          \r\n\t ", " % a comment\n", "\n"] {
            for after in ["\n", "\r\n", "  % trailing\n"] {
                let mut pdf = format!("%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /X <(> >>{between}stream{after}").into_bytes();
                pdf.extend_from_slice(&js);
                pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
                assert_eq!(verdict_in_pieces(&pdf), Verdict::Active, "{between:?} {after:?}");
            }
        }
        // A string never closed: the rest of the file was read as text.
        assert_eq!(verdict_in_pieces(b"%PDF-1.4\n( stray\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"), Verdict::Unreadable);
        // Headers in more spellings, and a trailer, hidden in an image's bytes.
        for hidden in ["9 0 %%\nobj", "9 - obj", "9 -\n0 obj", "9 0e0 obj", "trailer << /Root << /OpenAction 3 0 R >> >>"] {
            let pdf = stream_with("/Subtype /Image /Length 99", format!("\u{7f}{hidden} << >>").as_bytes());
            assert_eq!(verdict_in_pieces(&pdf), Verdict::Unreadable, "{hidden:?}");
        }
        // A name ends at NUL (PDF whitespace), and a `#` without two hex digits is a plain `#`.
        assert_eq!(verdict_in_pieces(b"<< /S /JavaScript\0/JS\0(x) >>"), Verdict::Active);
        assert_eq!(verdict_in_pieces(b"<< /S %/X#\n/JavaScript >>"), Verdict::Active);
    }

    #[test]
    fn image_bytes_that_spell_a_name_are_not_read() {
        let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 12 >>\nstream\n".to_vec();
        pdf.extend_from_slice(b"\xff\xd8 /JS \x00\xff\xd9");
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        assert_eq!(verdict(&pdf), Verdict::Clean);
    }
}
