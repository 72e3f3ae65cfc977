//! File checks shared by the upload screen (before sending) and the server
//! (which decides again, never trusting the browser): type by content, size,
//! and a file name that is only ever a label.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub min_bytes: u64,
    pub max_side: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Jpeg, FileKind::Png, FileKind::Pdf];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Pdf => "pdf",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Pdf => "application/pdf",
        }
    }

    pub fn is_image(self) -> bool {
        !matches!(self, FileKind::Pdf)
    }
}

/// The type from the first bytes (magic numbers), whatever the name says.
pub fn sniff(head: &[u8]) -> Option<FileKind> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileKind::Png)
    } else if head.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else {
        None
    }
}

/// Why an upload is refused. The server answers each with its own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UploadError {
    #[error("file too large")]
    TooLarge,
    #[error("file too small")]
    TooSmall,
    #[error("not a JPEG, PNG or PDF")]
    WrongType,
    #[error("image dimensions out of range")]
    BadDimensions,
    /// More pixels than the server decodes (width × height × channels ×
    /// bytes per sample above its memory budget), whatever the file's size.
    #[error("image too big to decode")]
    TooManyPixels,
    #[error("file is damaged")]
    Corrupt,
    #[error("PDF contains scripts or embedded files")]
    ActivePdf,
    #[error("file name not accepted")]
    BadName,
    #[error("this document is not asked for")]
    NotRequested,
    #[error("the case is closed")]
    Closed,
    #[error("this document was rejected for good")]
    FinalRejection,
    #[error("no file in the request")]
    NoFile,
}

impl UploadError {
    pub fn code(self) -> &'static str {
        match self {
            UploadError::TooLarge => "FILE_TOO_LARGE",
            UploadError::TooSmall => "FILE_TOO_SMALL",
            UploadError::WrongType => "UNSUPPORTED_TYPE",
            UploadError::BadDimensions => "BAD_DIMENSIONS",
            UploadError::TooManyPixels => "IMAGE_TOO_BIG",
            UploadError::Corrupt => "CORRUPT_FILE",
            UploadError::ActivePdf => "ACTIVE_PDF",
            UploadError::BadName => "BAD_FILE_NAME",
            UploadError::NotRequested => "NOT_REQUESTED",
            UploadError::Closed => "CASE_CLOSED",
            UploadError::FinalRejection => "FINAL_REJECTION",
            UploadError::NoFile => "NO_FILE",
        }
    }

    pub fn parse_code(code: &str) -> Option<UploadError> {
        use UploadError::*;
        [TooLarge, TooSmall, WrongType, BadDimensions, TooManyPixels, Corrupt, ActivePdf, BadName, NotRequested, Closed, FinalRejection, NoFile]
            .into_iter()
            .find(|e| e.code() == code)
    }

    pub fn http_status(self) -> u16 {
        match self {
            UploadError::TooLarge => 413,
            UploadError::WrongType => 415,
            UploadError::TooSmall | UploadError::BadDimensions | UploadError::TooManyPixels | UploadError::Corrupt | UploadError::ActivePdf => 422,
            UploadError::BadName | UploadError::NoFile | UploadError::NotRequested => 400,
            UploadError::Closed | UploadError::FinalRejection => 409,
        }
    }

    /// Translation key; size messages take `%{size}`, dimensions `%{side}`.
    pub fn i18n_key(self) -> &'static str {
        match self {
            UploadError::TooLarge => "kyc.upload.error.too_large",
            UploadError::TooSmall => "kyc.upload.error.too_small",
            UploadError::WrongType => "kyc.upload.error.wrong_type",
            UploadError::BadDimensions => "kyc.upload.error.dimensions",
            UploadError::TooManyPixels => "kyc.upload.error.too_many_pixels",
            UploadError::Corrupt => "kyc.upload.error.corrupt",
            UploadError::ActivePdf => "kyc.upload.error.active_pdf",
            UploadError::BadName => "kyc.upload.error.bad_name",
            UploadError::NotRequested => "kyc.upload.error.not_requested",
            UploadError::Closed => "kyc.upload.error.closed",
            UploadError::FinalRejection => "kyc.upload.error.final_rejection",
            UploadError::NoFile => "kyc.upload.error.no_file",
        }
    }
}

pub fn check_size(size: u64, limits: &UploadLimits) -> Result<(), UploadError> {
    if size > limits.max_bytes {
        Err(UploadError::TooLarge)
    } else if size < limits.min_bytes {
        Err(UploadError::TooSmall)
    } else {
        Ok(())
    }
}

/// A file name is shown to people, never used as a path: anything that looks
/// like a path or hides characters is refused.
pub fn check_name(name: &str) -> Result<(), UploadError> {
    let bad = name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) || name.contains("..") || name.chars().any(|c| c.is_control());
    if bad {
        Err(UploadError::BadName)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_is_decided_by_content() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(sniff(b"%PDF-1.7"), Some(FileKind::Pdf));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None, "a Windows executable");
    }

    #[test]
    fn names_are_labels_not_paths() {
        assert!(check_name("passport.jpg").is_ok());
        assert!(check_name("Скан паспорта (1).pdf").is_ok());
        for bad in ["../../etc/passwd", "a/b.jpg", "c:\\x.jpg", "nul\0.jpg", "", "x\n.jpg"] {
            assert_eq!(check_name(bad), Err(UploadError::BadName), "{bad:?}");
        }
    }
}

crate::domain::stored_as_text!(FileKind);
