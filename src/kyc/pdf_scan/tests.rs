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
    stream_with(&format!("/Type /ObjStm /N 1 /First 4 {filter}"), data)
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
    assert_eq!(verdict(b"<< /Type /Outlines /First 3 0 R /Last 3 0 R >> << /A << /S /URI /URI (https://bank.example) >> >> << /Type /Font >>"), Verdict::Clean);
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
