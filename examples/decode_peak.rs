//! One upload's inspection in a process of its own (`bench/decode_peak.sh`):
//! prints what the header model says the decoding takes and what the
//! process's memory high-water mark rose by.
use broker_inapp::domain::kyc::{sniff, UploadLimits};
use broker_inapp::kyc::inspect;
use std::io::Read;

fn hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn main() {
    let path = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: decode_peak FILE"));
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(&path).and_then(|mut f| f.read(&mut head)).expect("readable");
    let kind = sniff(&head[..n]).expect("JPEG, PNG or PDF");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let model = inspect::read_header(&head[..n]).map_or(0, |h| h.working_bytes(size));
    // Sides far past the product's, so the model alone decides.
    let limits = UploadLimits { max_bytes: u64::MAX, min_bytes: 0, max_side: 20_000 };
    let before = hwm_kib();
    // Inspected as an upload is (what the model refuses is not decoded).
    let verdict = inspect::inspect(&path, kind, &limits).map(|_| "decoded").unwrap_or("refused");
    let within = if model <= inspect::MAX_WORKING_BYTES { "within" } else { "over" };
    println!(
        "{:<28} model {:>4} MiB ({within} budget), measured {:>4} MiB, {verdict}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        model >> 20,
        (hwm_kib().saturating_sub(before)) >> 10
    );
}
