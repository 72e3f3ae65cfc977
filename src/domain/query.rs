//! Raw query-string helpers that keep every other parameter byte for byte.

/// Every decoded value of `name` in a raw query string, in order.
pub fn query_values(raw_query: &str, name: &str) -> Vec<String> {
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
        .collect()
}

/// The raw query string with every `name` parameter removed and nothing else
/// touched (order, encoding and repeats of the others are kept).
pub fn without_param(raw_query: &str, name: &str) -> String {
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let k = pair.split_once('=').map(|(k, _)| k).unwrap_or(pair);
            decode(k) != name
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent- and plus-decoding of one query component; invalid escapes stay as they are.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_the_named_parameter() {
        let q = "token=abc&account=67890&lang=es&utm_source=x%20y&token=dup";
        assert_eq!(without_param(q, "token"), "account=67890&lang=es&utm_source=x%20y");
        assert_eq!(without_param("token=abc", "token"), "");
        assert_eq!(without_param("%74oken=abc&a=1", "token"), "a=1");
    }

    #[test]
    fn reads_repeated_and_encoded_values() {
        assert_eq!(query_values("lang=es&lang=de", "lang"), vec!["es", "de"]);
        assert_eq!(query_values("a=%41%zz+b&a", "a"), vec!["A%zz b", ""]);
        assert!(query_values("", "a").is_empty());
        assert_eq!(query_values("a=%", "a"), vec!["%"]);
        assert_eq!(query_values("a=%4", "a"), vec!["%4"]);
    }
}
