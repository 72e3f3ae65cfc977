//! The checks a spooled upload passes before it is kept: images must decode
//! within the dimension limit (and are re-encoded for display, which drops
//! EXIF and anything else riding along); PDFs must be whole and carry no
//! scripts, launch actions or embedded files. Runs on a blocking thread.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::pdf_scan::Verdict;
use crate::domain::kyc::quality::{self, QualityScores};
use crate::domain::kyc::{FileKind, UploadError, UploadLimits};

/// The most memory one image's inspection may take: the decoded pixels
/// (width × height × channels × bytes per sample), a progressive JPEG's
/// coefficients (kept whole until the last scan), and the display copy's
/// buffers. A 24-megapixel baseline photo or a 12-megapixel progressive one
/// fits. Worked out from the file's header before anything is decoded, so a
/// small file that would expand to hundreds of MiB is refused cheaply.
/// `bench/decode_peak.sh` checks the model against what decoding really takes.
pub const MAX_WORKING_BYTES: u64 = 128 * 1024 * 1024;

/// The display copy's side: the thumbnail (in the decoded pixel format),
/// its RGB copy and the JPEG written from it.
const PREVIEW_SIDE: u64 = 1600;

/// What the checks found: for images, the re-encoded copy shown back and
/// the photo's quality scores.
pub struct Inspected {
    pub preview: Option<Vec<u8>>,
    pub quality: Option<QualityScores>,
}

pub fn inspect(path: &Path, kind: FileKind, limits: &UploadLimits) -> Result<Inspected, UploadError> {
    if kind.is_image() {
        image_preview(path, limits).map(|(p, q)| Inspected { preview: Some(p), quality: Some(q) })
    } else {
        check_pdf(path)?;
        Ok(Inspected { preview: None, quality: None })
    }
}

/// The cheap part, before an upload waits for a decoding slot: an image's
/// header states dimensions within the limits and a decoded size within the
/// budget (a bomb is refused here at once, without waiting behind real work).
pub fn precheck(path: &Path, kind: FileKind, limits: &UploadLimits) -> Result<(), UploadError> {
    if kind.is_image() {
        image_header(path, limits)
    } else {
        Ok(())
    }
}

/// How much of an image is read for its header: a JPEG's frame and first
/// scan header come after its EXIF, ICC and other application segments.
const HEAD_BYTES: u64 = 256 * 1024;

fn image_header(path: &Path, limits: &UploadLimits) -> Result<(), UploadError> {
    // The header alone: a PNG claiming 65535×65535 is refused before
    // anything is allocated for it.
    let file = std::fs::File::open(path).map_err(|_| UploadError::Corrupt)?;
    let size = file.metadata().map_err(|_| UploadError::Corrupt)?.len();
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    file.take(HEAD_BYTES).read_to_end(&mut head).map_err(|_| UploadError::Corrupt)?;
    let header = read_header(&head).ok_or(UploadError::Corrupt)?;
    if header.width == 0 || header.height == 0 || header.width > limits.max_side || header.height > limits.max_side {
        return Err(UploadError::BadDimensions);
    }
    if header.working_bytes(size) > MAX_WORKING_BYTES {
        return Err(UploadError::TooManyPixels);
    }
    Ok(())
}

fn image_preview(path: &Path, limits: &UploadLimits) -> Result<(Vec<u8>, QualityScores), UploadError> {
    let open = || image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|_| UploadError::Corrupt);
    image_header(path, limits)?;
    let mut reader = open()?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    // The decoder's own bound, in case a header understated what follows.
    l.max_alloc = Some(MAX_WORKING_BYTES);
    reader.limits(l);
    let img = reader.decode().map_err(|_| UploadError::Corrupt)?;
    let (width, height) = (img.width(), img.height());
    // Only ever scaled down (`thumbnail` would also scale a small photo up,
    // and the quality measure with it).
    let small = if width.max(height) > 1600 { img.thumbnail(1600, 1600) } else { img }.to_rgb8();
    // Measured as the browser measures (`domain::kyc::quality`): on the
    // display copy's pixels, scaled down once more by averaging; its side is
    // the photo's own.
    let scores = quality::measure_rgb(small.as_raw(), small.width(), small.height(), width.min(height));
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&small).map_err(|_| UploadError::Corrupt)?;
    Ok((out.into_inner(), scores))
}

/// What an image's header says about decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    pub width: u32,
    pub height: u32,
    /// Decoded bytes a pixel: a palette counts as RGBA, grey JPEG as RGB
    /// (what they decode to), CMYK as its four channels.
    pub per_pixel: u64,
    /// A JPEG's DCT coefficients when the decoder holds them whole (2 bytes
    /// each): a progressive JPEG's, and a baseline one's whose first scan
    /// does not carry every component. A baseline JPEG with all components
    /// in one scan decodes row by row.
    pub coefficient_bytes: u64,
}

impl ImageHeader {
    /// What inspecting the image takes at its peak: the file (the JPEG
    /// decoder reads it whole first), the decoded pixels, the coefficients,
    /// and the display copy.
    pub fn working_bytes(&self, file_bytes: u64) -> u64 {
        // Saturating: a PNG header may claim 2³² × 2³² (refused by its sides first).
        let pixels = u64::from(self.width).saturating_mul(u64::from(self.height));
        // The display copy, and 8 MiB for the decoder's row buffers and the
        // encoded copy (measured: bench/decode_peak.sh).
        let preview = PREVIEW_SIDE * PREVIEW_SIDE * (self.per_pixel + 3) + 8 * 1024 * 1024;
        pixels.saturating_mul(self.per_pixel).saturating_add(self.coefficient_bytes).saturating_add(preview).saturating_add(file_bytes)
    }
}

/// The image's header (PNG IHDR: colour type and bit depth; JPEG SOFn:
/// precision, components and their sampling, baseline or progressive).
pub fn read_header(head: &[u8]) -> Option<ImageHeader> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        let be = |i: usize| head.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if head.get(12..16)? != b"IHDR" {
            return None;
        }
        let (depth, colour) = (*head.get(24)?, *head.get(25)?);
        let channels: u64 = match colour {
            0 => 1,
            2 => 3,
            3 | 6 => 4,
            4 => 2,
            _ => return None,
        };
        let per_pixel = channels * if depth == 16 { 2 } else { 1 };
        return Some(ImageHeader { width: be(16)?, height: be(20)?, per_pixel, coefficient_bytes: 0 });
    }
    // The JPEG's segments up to its first scan, as the decoder walks them:
    // fill bytes before a marker skipped; a marker that has no length in the
    // standard (RSTn, SOI, TEM) but that the decoder reads one after, bytes
    // between segments, a second frame, or no frame, refused.
    let mut frame: Option<(ImageHeader, u64, u8)> = None;
    // Where what was read ends before the first scan: its coefficients are counted.
    let held = |frame: Option<(ImageHeader, u64, u8)>| frame.map(|(header, coefficients, _)| ImageHeader { coefficient_bytes: coefficients, ..header });
    let mut i = 2;
    loop {
        if i + 5 > head.len() {
            return held(frame);
        }
        if head[i] != 0xFF {
            return None;
        }
        while head.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = head.get(i + 1) else { return held(frame) };
        if matches!(marker, 0x00 | 0x01 | 0xD0..=0xD9) {
            return None;
        }
        if marker == 0xDA {
            // The first scan: all components at once, or the coefficients are kept.
            let (header, coefficients, count) = frame?;
            let Some(&in_scan) = head.get(i + 4) else { return held(Some((header, coefficients, count))) };
            let held = header.coefficient_bytes > 0 || in_scan < count;
            return Some(ImageHeader { coefficient_bytes: if held { coefficients } else { 0 }, ..header });
        }
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if frame.is_some() {
                return None;
            }
            frame = Some(jpeg_frame(marker, head.get(i + 4..)?)?);
        }
        let (Some(&hi), Some(&lo)) = (head.get(i + 2), head.get(i + 3)) else { return held(frame) };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 {
            return None;
        }
        i += 2 + len;
    }
}

/// A JPEG frame header (after the marker and length): precision, height,
/// width, then per component its id, sampling factors and table. Answers
/// the header (with coefficients when progressive), what the coefficients
/// would take if held, and the component count.
fn jpeg_frame(marker: u8, f: &[u8]) -> Option<(ImageHeader, u64, u8)> {
    let precision = if *f.first()? > 8 { 2 } else { 1 };
    let height = u32::from(u16::from_be_bytes([*f.get(1)?, *f.get(2)?]));
    let width = u32::from(u16::from_be_bytes([*f.get(3)?, *f.get(4)?]));
    // Grey, colour or CMYK: anything else is no photo we decode (and grey
    // is decoded to RGB).
    let count = *f.get(5)?;
    let per_pixel = match count {
        1 | 3 => 3,
        4 => 4,
        _ => return None,
    } * precision;
    let sampling: Vec<(u64, u64)> =
        (0..count as usize).map(|c| f.get(6 + 3 * c + 1).map(|hv| (u64::from(hv >> 4).max(1), u64::from(hv & 0x0F).max(1)))).collect::<Option<_>>()?;
    let (h_max, v_max) = sampling.iter().fold((1, 1), |(h, v), &(ch, cv)| (h.max(ch), v.max(cv)));
    let blocks = |side: u32, factor: u64, max: u64| (u64::from(side) * factor).div_ceil(max).div_ceil(8);
    let coefficients = sampling.iter().map(|&(ch, cv)| blocks(width, ch, h_max) * blocks(height, cv, v_max) * 64 * 2).sum();
    // SOF2, SOF6, SOF10, SOF14: progressive.
    let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
    let header = ImageHeader { width, height, per_pixel, coefficient_bytes: if progressive { coefficients } else { 0 } };
    Some((header, coefficients, count))
}

fn check_pdf(path: &Path) -> Result<(), UploadError> {
    let mut file = std::fs::File::open(path).map_err(|_| UploadError::Corrupt)?;
    let len = file.metadata().map_err(|_| UploadError::Corrupt)?.len();
    // The last 64 KiB: some office scanners pad a file with thousands of NULs.
    let mut tail = vec![0u8; len.min(64 * 1024) as usize];
    file.seek(SeekFrom::End(-(tail.len() as i64))).map_err(|_| UploadError::Corrupt)?;
    file.read_exact(&mut tail).map_err(|_| UploadError::Corrupt)?;
    // Whole means it ends with `%%EOF`, then only PDF whitespace (NUL, tab,
    // line ends, form feed, space) or a DOS end-of-file mark: an earlier
    // `%%EOF` followed by a cut-off incremental update is not whole.
    let end = tail.iter().rposition(|b| !b"\0\t\n\x0b\x0c\r \x1a".contains(b)).map_or(0, |i| i + 1);
    if !tail[..end].ends_with(b"%%EOF") {
        return Err(UploadError::Corrupt);
    }
    file.seek(SeekFrom::Start(0)).map_err(|_| UploadError::Corrupt)?;
    match super::pdf_scan::scan(BufReader::new(file)).map_err(|_| UploadError::Corrupt)? {
        Verdict::Clean => Ok(()),
        Verdict::Active => Err(UploadError::ActivePdf),
        Verdict::Unreadable => Err(UploadError::Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::{read_header, ImageHeader, MAX_WORKING_BYTES};

    /// A JPEG's start, frame header and first scan header: `marker` (0xC0
    /// baseline, 0xC2 progressive), `width`×`height`, components with their
    /// sampling byte, the first `in_scan` of them in the first scan.
    fn jpeg_scanning(marker: u8, width: u16, height: u16, sampling: &[u8], in_scan: u8) -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8, 0xFF, marker, 0, 8 + 3 * sampling.len() as u8, 8];
        f.extend(height.to_be_bytes());
        f.extend(width.to_be_bytes());
        f.push(sampling.len() as u8);
        for (i, hv) in sampling.iter().enumerate() {
            f.extend([i as u8 + 1, *hv, 0]);
        }
        f.extend([0xFF, 0xDA, 0, 6 + 2 * in_scan, in_scan]);
        for c in 0..in_scan {
            f.extend([c + 1, 0x00]);
        }
        f.extend([0, 63, 0]);
        f
    }

    /// The same with every component in the first scan.
    fn jpeg(marker: u8, width: u16, height: u16, sampling: &[u8]) -> Vec<u8> {
        jpeg_scanning(marker, width, height, sampling, sampling.len() as u8)
    }

    #[test]
    fn a_jpeg_header_with_a_component_count_no_photo_has_is_refused() {
        // Found by the `image_header` fuzz target: ten components.
        assert_eq!(read_header(&[255, 253, 255, 192, 13, 14, 255, 216, 255, 10, 10, 10, 10]), None);
        // Colour, 8 bits: three bytes a pixel, nothing held but the pixels.
        let h = read_header(&jpeg(0xC0, 32, 16, &[0x22, 0x11, 0x11])).unwrap();
        assert_eq!(h, ImageHeader { width: 32, height: 16, per_pixel: 3, coefficient_bytes: 0 });
        // A frame cut off before its components is no header.
        assert_eq!(read_header(&jpeg(0xC0, 32, 16, &[0x22, 0x11, 0x11])[..13]), None);
        // A PNG's colour type and depth: RGBA 16-bit is eight.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend([0, 0, 0, 4, 0, 0, 0, 2, 16, 6, 0, 0, 0]);
        assert_eq!(read_header(&png), Some(ImageHeader { width: 4, height: 2, per_pixel: 8, coefficient_bytes: 0 }));
    }

    #[test]
    fn a_progressive_jpeg_counts_its_coefficients_by_component_sampling() {
        // 4000×3000, 4:2:0: luma 500×375 blocks, each chroma 250×188, 128 bytes a block.
        let h = read_header(&jpeg(0xC2, 4000, 3000, &[0x22, 0x11, 0x11])).unwrap();
        assert_eq!(h.coefficient_bytes, (500 * 375 + 2 * 250 * 188) * 128);
        // 4:4:4 holds all three planes whole.
        let full = read_header(&jpeg(0xC2, 4000, 3000, &[0x11, 0x11, 0x11])).unwrap();
        assert_eq!(full.coefficient_bytes, 3 * 500 * 375 * 128);
    }

    /// What the decoder reads is what is counted: a baseline JPEG whose first
    /// scan leaves a component out holds its coefficients like a progressive
    /// one; fill bytes do not hide the frame; a second frame, or bytes
    /// between segments, are refused.
    #[test]
    fn the_header_is_read_as_the_decoder_reads_it() {
        let sampling = [0x22, 0x11, 0x11];
        let split = read_header(&jpeg_scanning(0xC0, 4000, 3000, &sampling, 1)).unwrap();
        assert_eq!(split.coefficient_bytes, (500 * 375 + 2 * 250 * 188) * 128);
        let mut filled = jpeg(0xC2, 4000, 3000, &sampling);
        filled.splice(2..2, [0xFF, 0xFF]);
        assert_eq!(read_header(&filled), read_header(&jpeg(0xC2, 4000, 3000, &sampling)), "fill bytes before a marker");
        let mut twice = jpeg(0xC0, 32, 16, &sampling);
        let second = jpeg(0xC2, 4000, 3000, &sampling);
        twice.splice(2..2, second[2..21].iter().copied());
        assert_eq!(read_header(&twice), None, "two frames");
        let mut junk = jpeg(0xC0, 32, 16, &sampling);
        junk.insert(21, 0x42);
        assert_eq!(read_header(&junk), None, "a byte between segments");
        // A restart marker before the frame: the decoder would read a length after it
        // and could land on another frame than the one counted.
        let mut restart = jpeg(0xC0, 32, 16, &sampling);
        restart.splice(2..2, [0xFF, 0xD0]);
        assert_eq!(read_header(&restart), None, "a marker the decoder reads differently");
        // The first scan beyond what was read: its coefficients are counted.
        let cut = jpeg(0xC0, 4000, 3000, &sampling);
        assert_eq!(read_header(&cut[..21]).unwrap().coefficient_bytes, split.coefficient_bytes);
    }

    #[test]
    fn the_budget_takes_the_photos_people_send_and_refuses_what_would_not_fit() {
        // A 5 MiB file, read whole by the decoder.
        let fits = |marker, w, h, s: &[u8]| read_header(&jpeg(marker, w, h, s)).unwrap().working_bytes(5 << 20) <= MAX_WORKING_BYTES;
        assert!(fits(0xC0, 6000, 4000, &[0x22, 0x11, 0x11]), "a 24-megapixel baseline photo");
        assert!(fits(0xC2, 4000, 3000, &[0x22, 0x11, 0x11]), "a 12-megapixel progressive one");
        assert!(!fits(0xC2, 6000, 4000, &[0x22, 0x11, 0x11]), "24 megapixels progressive: coefficients and pixels together");
        assert!(!fits(0xC0, 8000, 6000, &[0x22, 0x11, 0x11]), "48 megapixels");
        // A PNG claiming the largest sides there are does not overflow the sum.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend([255, 255, 255, 255, 255, 255, 255, 255, 16, 6, 0, 0, 0]);
        assert_eq!(read_header(&png).unwrap().working_bytes(u64::MAX), u64::MAX);
    }
}
