//! The checks a spooled upload passes before it is kept: images must decode
//! within the dimension limit (and are re-encoded for display, which drops
//! EXIF and anything else riding along); PDFs must be whole and carry no
//! scripts, launch actions or embedded files. Runs on a blocking thread.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::domain::kyc::{FileKind, UploadError, UploadLimits};

/// What the checks found: for images, the re-encoded copy shown back.
pub struct Inspected {
    pub preview: Option<Vec<u8>>,
}

pub fn inspect(path: &Path, kind: FileKind, limits: &UploadLimits) -> Result<Inspected, UploadError> {
    if kind.is_image() {
        image_preview(path, limits).map(|p| Inspected { preview: Some(p) })
    } else {
        check_pdf(path)?;
        Ok(Inspected { preview: None })
    }
}

fn image_preview(path: &Path, limits: &UploadLimits) -> Result<Vec<u8>, UploadError> {
    let open = || image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|_| UploadError::Corrupt);
    // The header alone first: a PNG claiming 65535×65535 is refused before
    // anything is allocated for it.
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(|_| UploadError::Corrupt)?;
    let (w, h) = header_dimensions(&head[..n]).ok_or(UploadError::Corrupt)?;
    if w == 0 || h == 0 || w > limits.max_side || h > limits.max_side {
        return Err(UploadError::BadDimensions);
    }
    let mut reader = open()?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(l);
    let img = reader.decode().map_err(|_| UploadError::Corrupt)?;
    let small = img.thumbnail(1600, 1600).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&small).map_err(|_| UploadError::Corrupt)?;
    Ok(out.into_inner())
}

/// Width and height as the file's header states them (PNG IHDR, JPEG SOFn).
fn header_dimensions(head: &[u8]) -> Option<(u32, u32)> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        let be = |i: usize| head.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        return (head.get(12..16)? == b"IHDR").then_some((be(16)?, be(20)?));
    }
    let mut i = 2;
    while i + 9 < head.len() {
        if head[i] != 0xFF {
            return None;
        }
        let marker = head[i + 1];
        let len = u16::from_be_bytes([head[i + 2], head[i + 3]]) as usize;
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes([head[i + 5], head[i + 6]]) as u32;
            let w = u16::from_be_bytes([head[i + 7], head[i + 8]]) as u32;
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

/// PDF names that make a document act rather than show.
const ACTIVE: [&[u8]; 6] = [b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia"];

fn check_pdf(path: &Path) -> Result<(), UploadError> {
    let mut file = std::fs::File::open(path).map_err(|_| UploadError::Corrupt)?;
    let len = file.metadata().map_err(|_| UploadError::Corrupt)?.len();
    let mut tail = vec![0u8; len.min(1024) as usize];
    file.seek(SeekFrom::End(-(tail.len() as i64))).map_err(|_| UploadError::Corrupt)?;
    file.read_exact(&mut tail).map_err(|_| UploadError::Corrupt)?;
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(UploadError::Corrupt);
    }
    file.seek(SeekFrom::Start(0)).map_err(|_| UploadError::Corrupt)?;
    if has_active_name(BufReader::new(file)).map_err(|_| UploadError::Corrupt)? {
        return Err(UploadError::ActivePdf);
    }
    Ok(())
}

/// Scans every PDF name (`/Name`, with `#xx` escapes decoded) in a stream,
/// without holding the file in memory.
fn has_active_name(reader: impl Read) -> std::io::Result<bool> {
    let mut name: Option<Vec<u8>> = None;
    let mut hex: Option<Vec<u8>> = None;
    let ends_name = |b: u8| b.is_ascii_whitespace() || b"/[]()<>{}%".contains(&b);
    for byte in reader.bytes() {
        let b = byte?;
        if let Some(h) = hex.as_mut() {
            h.push(b);
            if h.len() == 2 {
                let decoded = std::str::from_utf8(h).ok().and_then(|s| u8::from_str_radix(s, 16).ok());
                if let (Some(n), Some(d)) = (name.as_mut(), decoded) {
                    n.push(d);
                }
                hex = None;
            }
            continue;
        }
        match name.as_mut() {
            Some(n) if b == b'#' => {
                let _ = n;
                hex = Some(Vec::with_capacity(2));
            }
            Some(n) if !ends_name(b) => {
                if n.len() < 64 {
                    n.push(b);
                }
            }
            Some(n) => {
                if ACTIVE.contains(&n.as_slice()) {
                    return Ok(true);
                }
                name = (b == b'/').then(Vec::new);
            }
            None if b == b'/' => name = Some(Vec::new()),
            None => {}
        }
    }
    Ok(name.is_some_and(|n| ACTIVE.contains(&n.as_slice())))
}

#[cfg(test)]
mod tests {
    use super::has_active_name;

    #[test]
    fn active_names_are_found_even_escaped() {
        let found = |s: &[u8]| has_active_name(s).unwrap();
        assert!(found(b"<< /S /JavaScript /JS (app.alert(1)) >>"));
        assert!(found(b"<</OpenAction<</S/J#61vaScript>>>>"), "hex-escaped name");
        assert!(found(b"/Names << /EmbeddedFiles 3 0 R >>"));
        assert!(found(b"/S /Launch"));
        assert!(!found(b"<< /Type /Page /Contents 4 0 R >> (JavaScript in a string is text)"));
        assert!(!found(b"/JSX /Font"));
    }
}
