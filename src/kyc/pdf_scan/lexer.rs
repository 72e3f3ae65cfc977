//! The PDF syntax the scan reads bytes with: names (with their `#xx`
//! escapes), where it is outside streams (code, comment, string), the
//! tokens that start a stream, and object headers hidden in stream bytes.
//! Each takes bytes in any chunking, so the scan stays one streamed pass.

/// Reads the names out of bytes fed in any chunking.
#[derive(Default)]
pub(super) struct Names {
    name: Option<Vec<u8>>,
    hex: Option<Vec<u8>>,
}

impl Names {
    /// Feeds one byte; returns the name it completed, if any.
    pub(super) fn push(&mut self, b: u8) -> Option<Vec<u8>> {
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
    pub(super) fn busy(&self) -> bool {
        self.name.is_some() || self.hex.is_some()
    }

    pub(super) fn finish(&mut self) -> Option<Vec<u8>> {
        self.hex = None;
        self.name.take()
    }
}

/// PDF whitespace: NUL, tab, line feed, form feed, carriage return, space.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether the newest bytes of the shift register `tail` spell `keyword` (at most 16 bytes).
pub(super) fn ends_with(tail: u128, keyword: &[u8]) -> bool {
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
pub(super) fn object_header(tail: u128) -> bool {
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

/// Where the scan is in the PDF's syntax outside streams: only in plain
/// code do `obj` and `stream` count as keywords (names count everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lex {
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
    pub(super) fn after(self, b: u8) -> Lex {
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
    pub(super) fn next_stop(self, rest: &[u8]) -> Option<usize> {
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
pub(super) struct Keywords {
    /// The last token was `>>`.
    dict_end: bool,
    /// A `>` was just read (half of `>>`).
    half: bool,
    /// The regular characters of the current token (only the first 8 kept)
    /// and whether it began right after `>>`.
    word: Vec<u8>,
    word_after_dict: bool,
    /// `stream` was read after `>>`: the data starts after the next line end.
    pub(super) pending: bool,
}

impl Keywords {
    /// Takes one byte of plain code; true when the keyword `stream` (after
    /// a dictionary) has just ended.
    pub(super) fn push(&mut self, b: u8) -> bool {
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
