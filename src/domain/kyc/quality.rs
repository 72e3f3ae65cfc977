//! Photo quality, measured the same way in the browser (before anything is
//! sent, so the trader can take the photo again) and on the server (the
//! scores are kept for the reviewer): on a grey copy scaled down to at most
//! [`MEASURE_SIDE`] pixels a side, so a score means the same whatever the
//! camera's resolution.
//!
//! - sharpness: the variance of the Laplacian (how much the picture changes
//!   from one pixel to the next: a blurred photo has soft edges, so little);
//! - brightness: the mean luminance (too dark, or washed out);
//! - glare: the share of the frame in blocks of blown-out pixels (a lamp's
//!   reflection on a laminated card), not single bright pixels;
//! - size: the photo's shorter side, below which a reviewer cannot read it;
//! - coverage: the share of the frame the document takes: the box around
//!   where the picture has detail (the document's edges, its print), since
//!   a document photographed from afar sits small in an even background.
//!   A busy background (a patterned tablecloth) has detail everywhere, so
//!   it hides a distant document: the check then stays silent rather than
//!   wrong.
//!
//! The thresholds are configuration (`[kyc.quality]`), sent to the browser
//! with the upload limits.

use serde::{Deserialize, Serialize};

/// The side of the grey copy the scores are measured on.
pub const MEASURE_SIDE: u32 = 512;

/// A luminance counted as blown out.
const SATURATED: u8 = 250;
/// Blocks of this many pixels a side are glare when most of their pixels are blown out.
const GLARE_BLOCK: usize = 8;
/// A pixel has detail when the change across it is at least this share of
/// the picture's strong changes (its 99th percentile), so a soft photo's
/// document still stands out from an even background...
const DETAIL_SHARE: u32 = 4;
/// ...and at least this much, so sensor noise on a blank frame is not detail.
const DETAIL_FLOOR: u32 = 8;
/// Detail this far (a share of all of it) from either side of the box is
/// left out: a speck on the table does not widen the document.
const DETAIL_TRIM: f64 = 0.02;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityLimits {
    pub min_sharpness: f64,
    pub min_brightness: f64,
    pub max_brightness: f64,
    /// Share of the frame (0 to 1).
    pub max_glare: f64,
    /// The shorter side, in the photo's own pixels.
    pub min_side: u32,
    /// Share of the frame the document takes (0 to 1).
    pub min_coverage: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityScores {
    pub sharpness: f64,
    pub brightness: f64,
    pub glare: f64,
    /// The photo's shorter side, in its own pixels.
    pub side: u32,
    /// Share of the frame the document takes; photos measured before it
    /// was (their scores stored without it) count as filled.
    #[serde(default = "filled")]
    pub coverage: f64,
}

fn filled() -> f64 {
    1.0
}

/// What is wrong with a photo, each with its own message and hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualityProblem {
    Blurry,
    Dark,
    WashedOut,
    Glare,
    Small,
    Far,
}

impl QualityProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            QualityProblem::Blurry => "blurry",
            QualityProblem::Dark => "dark",
            QualityProblem::WashedOut => "washed_out",
            QualityProblem::Glare => "glare",
            QualityProblem::Small => "small",
            QualityProblem::Far => "far",
        }
    }

    /// Translation key of the message (with its hint).
    pub fn i18n_key(self) -> String {
        format!("kyc.quality.{}", self.as_str())
    }
}

/// Luminance (ITU-R BT.601, integer) of one pixel.
fn luma(p: &[u8]) -> u8 {
    ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000) as u8
}

/// The luminance of RGBA pixels (a canvas's).
pub fn grey_from_rgba(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4).map(luma).collect()
}

/// The luminance of RGB pixels (a decoded photo's).
pub fn grey_from_rgb(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3).map(luma).collect()
}

/// The size a `width` × `height` photo is measured at.
pub fn measure_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= MEASURE_SIDE {
        return (width.max(1), height.max(1));
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(MEASURE_SIDE) / u64::from(longest)) as u32).max(1);
    (scale(width), scale(height))
}

/// A grey copy scaled down to [`measure_size`] by averaging boxes of pixels
/// (what a browser's canvas does when it draws an image smaller).
pub fn downscale(grey: &[u8], width: u32, height: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = measure_size(width, height);
    if (w, h) == (width, height) || width == 0 || height == 0 || grey.len() < width as usize * height as usize {
        // Small enough already (or not the pixels it claims: measured as it is).
        return (grey.to_vec(), width, height);
    }
    let (sw, sh) = (width as usize, height as usize);
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h as usize {
        let (y0, y1) = (y * sh / h as usize, ((y + 1) * sh / h as usize).max(y * sh / h as usize + 1));
        for x in 0..w as usize {
            let (x0, x1) = (x * sw / w as usize, ((x + 1) * sw / w as usize).max(x * sw / w as usize + 1));
            let (mut sum, mut n) = (0u64, 0u64);
            for row in grey[y0 * sw..y1 * sw].chunks_exact(sw) {
                for &v in &row[x0..x1] {
                    sum += u64::from(v);
                    n += 1;
                }
            }
            out.push((sum / n.max(1)) as u8);
        }
    }
    (out, w, h)
}

/// The scores of a grey picture already at its measuring size; `side` is
/// the original photo's shorter side.
pub fn measure(grey: &[u8], width: u32, height: u32, side: u32) -> QualityScores {
    let (w, h) = (width as usize, height as usize);
    if w < 3 || h < 3 || grey.len() < w * h {
        return QualityScores { sharpness: 0.0, brightness: 0.0, glare: 0.0, side, coverage: 0.0 };
    }
    let brightness = grey.iter().map(|&v| f64::from(v)).sum::<f64>() / (w * h) as f64;
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |dx: isize, dy: isize| f64::from(grey[(y as isize + dy) as usize * w + (x as isize + dx) as usize]);
            let lap = at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1) - 4.0 * at(0, 0);
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
    let mean = sum / n;
    let sharpness = sum_sq / n - mean * mean;
    let mut glare_pixels = 0usize;
    for by in (0..h - h % GLARE_BLOCK).step_by(GLARE_BLOCK) {
        for bx in (0..w - w % GLARE_BLOCK).step_by(GLARE_BLOCK) {
            let blown = (by..by + GLARE_BLOCK).flat_map(|y| grey[y * w + bx..y * w + bx + GLARE_BLOCK].iter()).filter(|&&v| v >= SATURATED).count();
            if blown * 4 >= GLARE_BLOCK * GLARE_BLOCK * 3 {
                glare_pixels += GLARE_BLOCK * GLARE_BLOCK;
            }
        }
    }
    QualityScores { sharpness, brightness, glare: glare_pixels as f64 / (w * h) as f64, side, coverage: coverage(grey, w, h) }
}

/// The share of the frame inside the box around the picture's detail
/// (see the module's doc); `w` and `h` are at least 3.
fn coverage(grey: &[u8], w: usize, h: usize) -> f64 {
    let change = |x: usize, y: usize| {
        let at = |x: usize, y: usize| i32::from(grey[y * w + x]);
        (at(x + 1, y) - at(x - 1, y)).unsigned_abs() + (at(x, y + 1) - at(x, y - 1)).unsigned_abs()
    };
    let mut histogram = [0u64; 511];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            histogram[change(x, y) as usize] += 1;
        }
    }
    let inner = ((w - 2) * (h - 2)) as u64;
    let (mut seen, mut strong) = (0u64, 0u32);
    for (value, n) in histogram.iter().enumerate().rev() {
        seen += n;
        if seen * 100 >= inner {
            strong = value as u32;
            break;
        }
    }
    let threshold = (strong / DETAIL_SHARE).max(DETAIL_FLOOR);
    let (mut columns, mut rows, mut total) = (vec![0u64; w], vec![0u64; h], 0u64);
    let detail = (1..h - 1).flat_map(|y| (1..w - 1).map(move |x| (x, y))).filter(|&(x, y)| change(x, y) >= threshold);
    for (x, y) in detail {
        columns[x] += 1;
        rows[y] += 1;
        total += 1;
    }
    if total == 0 {
        // An even picture: nothing to find a document by.
        return 0.0;
    }
    let trim = (total as f64 * DETAIL_TRIM) as u64;
    let span = |counts: &[u64]| {
        let first = skip_past(counts.iter(), trim);
        let last = counts.len() - 1 - skip_past(counts.iter().rev(), trim);
        (last + 1).saturating_sub(first)
    };
    (span(&columns) * span(&rows)) as f64 / inner as f64
}

/// Measures RGB pixels at any size (the server's copy of a photo);
/// `side` is the photo's own shorter side.
pub fn measure_rgb(rgb: &[u8], width: u32, height: u32, side: u32) -> QualityScores {
    let (small, w, h) = downscale(&grey_from_rgb(rgb), width, height);
    measure(&small, w, h, side)
}

/// How many places `counts` goes before the running total of its counts
/// exceeds `trim`.
fn skip_past<'a>(mut counts: impl Iterator<Item = &'a u64>, trim: u64) -> usize {
    let mut sum = 0;
    counts
        .position(|n| {
            sum += n;
            sum > trim
        })
        .unwrap_or(0)
}

/// What the scores say is wrong, worst first.
pub fn problems(s: &QualityScores, limits: &QualityLimits) -> Vec<QualityProblem> {
    let mut found = vec![];
    if s.side < limits.min_side {
        found.push(QualityProblem::Small);
    }
    if s.coverage < limits.min_coverage {
        found.push(QualityProblem::Far);
    }
    if s.brightness < limits.min_brightness {
        found.push(QualityProblem::Dark);
    } else if s.brightness > limits.max_brightness {
        found.push(QualityProblem::WashedOut);
    }
    if s.glare > limits.max_glare {
        found.push(QualityProblem::Glare);
    }
    if s.sharpness < limits.min_sharpness {
        found.push(QualityProblem::Blurry);
    }
    found
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// The shipped thresholds (`[kyc.quality]` in Leptos.toml).
    fn limits() -> QualityLimits {
        crate::config::Settings::from_figment(crate::config::Settings::defaults()).unwrap().kyc.quality
    }

    /// A document-like picture: light paper with thin dark lines of
    /// "text" and some grain, at `w` × `h`.
    fn document(w: usize, h: usize) -> Vec<u8> {
        let mut seed = 7u32;
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let grain = (seed >> 16) % 8;
                let ink = y % 12 < 2 && (x / 3) % 4 != 0;
                (if ink { 60 } else { 190 }) + grain as u8
            })
            .collect()
    }

    fn blur(grey: &[u8], w: usize, h: usize, passes: usize) -> Vec<u8> {
        let mut g = grey.to_vec();
        for _ in 0..passes {
            let src = g.clone();
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    let s: u32 = (0..9).map(|k| u32::from(src[(y + k / 3 - 1) * w + x + k % 3 - 1])).sum();
                    g[y * w + x] = (s / 9) as u8;
                }
            }
        }
        g
    }

    fn scores(grey: &[u8], w: usize, h: usize) -> QualityScores {
        let (small, sw, sh) = downscale(grey, w as u32, h as u32);
        measure(&small, sw, sh, (w.min(h)) as u32)
    }

    #[test]
    fn a_sharp_well_lit_photo_has_no_problem() {
        let s = scores(&document(800, 640), 800, 640);
        assert_eq!(problems(&s, &limits()), [], "{s:?}");
    }

    #[test]
    fn a_blurred_photo_is_blurry() {
        let sharp = scores(&document(800, 640), 800, 640);
        let soft = scores(&blur(&document(800, 640), 800, 640, 12), 800, 640);
        assert!(soft.sharpness < sharp.sharpness / 10.0, "{soft:?} vs {sharp:?}");
        assert_eq!(problems(&soft, &limits()), [QualityProblem::Blurry], "{soft:?} vs {sharp:?}");
    }

    #[test]
    fn a_dark_or_washed_out_photo_says_which() {
        let dark: Vec<u8> = document(800, 640).iter().map(|v| v / 5).collect();
        assert!(problems(&scores(&dark, 800, 640), &limits()).contains(&QualityProblem::Dark));
        let washed: Vec<u8> = document(800, 640).iter().map(|v| 200 + v / 5).collect();
        assert!(problems(&scores(&washed, 800, 640), &limits()).contains(&QualityProblem::WashedOut));
    }

    #[test]
    fn a_blown_out_patch_is_glare_and_scattered_bright_pixels_are_not() {
        let (w, h) = (800, 640);
        let mut glared = document(w, h);
        for y in 200..360 {
            for x in 300..520 {
                glared[y * w + x] = 255;
            }
        }
        assert_eq!(problems(&scores(&glared, w, h), &limits()), [QualityProblem::Glare]);
        let mut speckled = document(w, h);
        for i in (0..w * h).step_by(7) {
            speckled[i] = 255;
        }
        assert!(!problems(&scores(&speckled, w, h), &limits()).contains(&QualityProblem::Glare));
    }

    #[test]
    fn a_photo_too_small_to_read_is_small() {
        let s = scores(&document(400, 300), 400, 300);
        assert!(problems(&s, &limits()).contains(&QualityProblem::Small), "{s:?}");
    }

    /// `document` pasted at (`x`, `y`) into an even, grainy table of `w` × `h`.
    fn on_table(doc: &[u8], dw: usize, dh: usize, w: usize, h: usize, x: usize, y: usize) -> Vec<u8> {
        let mut seed = 11u32;
        let mut out: Vec<u8> = (0..w * h)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                90 + ((seed >> 16) % 6) as u8
            })
            .collect();
        for row in 0..dh {
            out[(y + row) * w + x..(y + row) * w + x + dw].copy_from_slice(&doc[row * dw..(row + 1) * dw]);
        }
        out
    }

    #[test]
    fn a_document_far_away_in_the_frame_is_far_and_one_filling_it_is_not() {
        let (w, h) = (1600, 1200);
        let far = scores(&on_table(&document(360, 240), 360, 240, w, h, 900, 700), w, h);
        assert!(far.coverage < 0.1, "{far:?}");
        assert_eq!(problems(&far, &limits()), [QualityProblem::Far], "{far:?}");
        let close = scores(&on_table(&document(1300, 900), 1300, 900, w, h, 150, 150), w, h);
        assert!(close.coverage > 0.55, "{close:?}");
        assert_eq!(problems(&close, &limits()), [], "{close:?}");
        // Filling the frame, blurred or not: far is about where, not how sharp.
        let soft = scores(&blur(&document(800, 640), 800, 640, 12), 800, 640);
        assert!(soft.coverage > 0.9, "{soft:?}");
        let soft_far = scores(&blur(&on_table(&document(360, 240), 360, 240, w, h, 100, 100), w, h, 6), w, h);
        assert!(problems(&soft_far, &limits()).contains(&QualityProblem::Far), "{soft_far:?}");
        // A speck on the table does not widen the document.
        let mut specked = on_table(&document(360, 240), 360, 240, w, h, 900, 700);
        for y in 20..26 {
            for x in 20..26 {
                specked[y * w + x] = 0;
            }
        }
        assert!(problems(&scores(&specked, w, h), &limits()).contains(&QualityProblem::Far));
    }

    #[test]
    fn scores_stored_before_coverage_was_measured_count_as_filled() {
        let old: QualityScores = serde_json::from_str(r#"{"sharpness":100.0,"brightness":120.0,"glare":0.0,"side":900}"#).unwrap();
        assert_eq!(old.coverage, 1.0);
        assert_eq!(problems(&old, &limits()), []);
    }

    #[test]
    fn scaling_down_averages_and_keeps_the_shape() {
        assert_eq!(measure_size(4000, 3000), (512, 384));
        assert_eq!(measure_size(300, 200), (300, 200));
        let (small, w, h) = downscale(&[0, 255, 0, 255, 0, 255, 0, 255], 4, 2);
        assert_eq!((small, w, h), (vec![0, 255, 0, 255, 0, 255, 0, 255], 4, 2), "small enough already");
        assert_eq!(grey_from_rgba(&[255, 255, 255, 255, 0, 0, 0, 255]), [255, 0]);
    }
}
