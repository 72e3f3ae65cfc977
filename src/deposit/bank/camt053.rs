//! Reading a bank statement in ISO 20022 camt.053 ("BankToCustomerStatement"),
//! the XML every European bank (and many others) exports. Only booked credit
//! entries are money received; each becomes one line to match, with the RF
//! reference the payer wrote (structured `CdtrRefInf`, else found in the free
//! text) and a key that is the same however often the file is imported.
//!
//! roxmltree reads the document: it refuses DTDs (so no entity expansion or
//! external entities) and gives a read-only tree to walk by local name, which
//! covers the versions banks send (.001.02 to .001.08) without one schema each.

use roxmltree::{Document, Node, ParsingOptions};
use rust_decimal::Decimal;

use crate::domain::CreditorRef;
use crate::store::NewEntry;

/// A statement file refused, with what a finance user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CamtError(pub String);

/// More lines than any daily statement of a broker's account has: beyond it
/// the file is refused rather than held in memory and written at once.
pub const MAX_ENTRIES: usize = 20_000;

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The text at `path` below `n`, trimmed.
fn text(n: Node, path: &[&str]) -> Option<String> {
    let mut at = n;
    for p in path {
        at = child(at, p)?;
    }
    at.text().map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

fn date(n: Node, what: &str) -> Option<String> {
    let d = child(n, what)?;
    let raw = text(d, &["Dt"]).or_else(|| text(d, &["DtTm"]))?;
    let day = raw.get(..10)?;
    let ok = day.len() == 10 && day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    ok.then(|| day.to_string())
}

/// An `Amt` element: a positive decimal and its `Ccy`.
fn amount(n: Node, at: &str) -> Result<(Decimal, String), CamtError> {
    let currency = n.attribute("Ccy").filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
    let currency = currency.ok_or_else(|| CamtError(format!("{at}: the amount has no three-letter Ccy")))?;
    let value: Decimal = n.text().unwrap_or("").trim().parse().map_err(|_| CamtError(format!("{at}: the amount is not a number")))?;
    if value <= Decimal::ZERO {
        return Err(CamtError(format!("{at}: the amount must be positive")));
    }
    Ok((value, currency.to_string()))
}

/// What the payer wrote: structured creditor references first, then free text.
fn remittance(tx: Node) -> (Option<String>, String) {
    let Some(rmt) = child(tx, "RmtInf") else { return (None, String::new()) };
    let structured = children(rmt, "Strd").filter_map(|s| text(s, &["CdtrRefInf", "Ref"]));
    let free: Vec<String> = children(rmt, "Ustrd").filter_map(|u| u.text().map(|t| t.trim().to_string())).collect();
    let free_text = free.join(" ");
    let mut candidates: Vec<CreditorRef> = structured.filter_map(|r| r.parse().ok()).collect();
    candidates.extend(CreditorRef::candidates_in(&free_text));
    let shown = if free_text.is_empty() { candidates.first().map(|c| c.to_string()).unwrap_or_default() } else { free_text };
    (candidates.first().map(|c| c.as_str().to_string()), shown)
}

fn debtor(tx: Node) -> String {
    let Some(parties) = child(tx, "RltdPties") else { return String::new() };
    text(parties, &["Dbtr", "Nm"]).or_else(|| text(parties, &["Dbtr", "Pty", "Nm"])).unwrap_or_default()
}

/// A transaction's own amount (`Amt` in newer versions, `AmtDtls/TxAmt/Amt` in older).
fn own_amount<'a, 'i>(tx: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    child(tx, "Amt").or_else(|| child(tx, "AmtDtls").and_then(|a| child(a, "TxAmt")).and_then(|t| child(t, "Amt")))
}

fn booked(entry: Node) -> bool {
    text(entry, &["Sts"]).or_else(|| text(entry, &["Sts", "Cd"])).as_deref() == Some("BOOK")
}

/// Every booked credit line of every statement in `xml`; refuses the whole
/// file on anything it cannot read, so an import is all or nothing.
pub fn parse(xml: &str) -> Result<Vec<NewEntry>, CamtError> {
    let doc = Document::parse_with_options(xml, ParsingOptions { allow_dtd: false, ..ParsingOptions::default() })
        .map_err(|e| CamtError(format!("not well-formed XML: {e}")))?;
    let root = doc.root_element();
    let is_camt =
        root.tag_name().name() == "Document" && root.tag_name().namespace().is_some_and(|ns| ns.starts_with("urn:iso:std:iso:20022:tech:xsd:camt.053."));
    let statements = child(root, "BkToCstmrStmt").filter(|_| is_camt).ok_or_else(|| CamtError("not an ISO 20022 camt.053 bank statement".into()))?;
    let mut out = Vec::new();
    for (s, stmt) in children(statements, "Stmt").enumerate() {
        let stmt_id = text(stmt, &["Id"]).ok_or_else(|| CamtError(format!("statement {}: no Id", s + 1)))?;
        let account = child(stmt, "Acct").and_then(|a| text(a, &["Id", "IBAN"]).or_else(|| text(a, &["Id", "Othr", "Id"]))).unwrap_or_default();
        for (i, entry) in children(stmt, "Ntry").enumerate() {
            let at = format!("statement {stmt_id}, entry {}", i + 1);
            // Money received: a booked credit that is not the reversal of a debit.
            let reversal = matches!(text(entry, &["RvslInd"]).as_deref(), Some("true" | "1"));
            if text(entry, &["CdtDbtInd"]).as_deref() != Some("CRDT") || !booked(entry) || reversal {
                continue;
            }
            let (total, currency) = amount(child(entry, "Amt").ok_or_else(|| CamtError(format!("{at}: no Amt")))?, &at)?;
            let value_date = date(entry, "ValDt").or_else(|| date(entry, "BookgDt")).ok_or_else(|| CamtError(format!("{at}: no value or booking date")))?;
            // The bank's references are unique per account and currency.
            let key = match text(entry, &["AcctSvcrRef"]) {
                Some(r) => format!("{account}/{currency}/{r}"),
                None => format!("{account}/{currency}/{stmt_id}/{}", i + 1),
            };
            let txs: Vec<Node> = child(entry, "NtryDtls").map(|d| children(d, "TxDtls").collect()).unwrap_or_default();
            // A batch booking that lists each payment with its own amount, in
            // the entry's currency and adding up to it, is one line per payment.
            // Any other batch is one line for a person to assign: never the
            // whole batch matched by its first payer's reference.
            let mut split = Vec::new();
            if txs.len() > 1 && txs.iter().all(|tx| own_amount(*tx).is_some()) {
                for (j, tx) in txs.iter().enumerate() {
                    let (a, c) = amount(own_amount(*tx).expect("checked"), &at)?;
                    split.push((format!("{key}/{}", j + 1), a, c, Some(*tx)));
                }
                let adds_up = split.iter().all(|(_, _, c, _)| *c == currency) && split.iter().map(|(_, a, _, _)| *a).sum::<Decimal>() == total;
                if !adds_up {
                    // Net of charges, or mixed: one line for a person, not a refusal of the file.
                    split.clear();
                }
            }
            let parts: Vec<(String, Decimal, String, Option<Node>)> = if !split.is_empty() {
                split
            } else if txs.len() > 1 {
                vec![(key, total, currency, None)]
            } else {
                vec![(key, total, currency, txs.first().copied())]
            };
            let batch_text = || txs.iter().map(|tx| remittance(*tx).1).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" | ");
            for (entry_key, amount, currency, tx) in parts {
                let (reference, remittance) = match tx {
                    Some(tx) => remittance(tx),
                    None if txs.len() > 1 => (None, batch_text()),
                    None => (None, String::new()),
                };
                out.push(NewEntry {
                    entry_key,
                    statement_id: stmt_id.clone(),
                    amount,
                    currency,
                    value_date: value_date.clone(),
                    reference,
                    remittance: remittance.chars().take(500).collect(),
                    debtor: tx.map(debtor).unwrap_or_default().chars().take(200).collect(),
                });
                if out.len() > MAX_ENTRIES {
                    return Err(CamtError(format!("more than {MAX_ENTRIES} credit entries; split the statement")));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A statement with the given `<Ntry>` elements.
    pub fn statement(id: &str, entries: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{id}</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{id}</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>"#
        )
    }

    pub fn credit(svcr: &str, amount: &str, remittance: &str) -> String {
        format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
               <BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-29</Dt></ValDt><AcctSvcrRef>{svcr}</AcctSvcrRef>
               <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Jane Trader</Nm></Dbtr></RltdPties>
               <RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"#
        )
    }

    #[test]
    fn booked_credits_become_lines_with_their_reference() {
        let r = CreditorRef::for_body("00C0FFEE12345678").unwrap();
        let xml = statement(
            "S1",
            &[
                credit("A1", "150.00", &format!("<Strd><CdtrRefInf><Ref>{}</Ref></CdtrRefInf></Strd>", r.as_str())),
                credit("A2", "99.5", &format!("<Ustrd>deposit {r} thanks</Ustrd>")),
                credit("A3", "10", "<Ustrd>no reference at all</Ustrd>"),
                // A debit and a pending credit are not money received.
                credit("A4", "5", "").replace("CRDT", "DBIT"),
                credit("A5", "5", "").replace("BOOK", "PDNG"),
            ]
            .concat(),
        );
        let lines = parse(&xml).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].reference.as_deref(), Some(r.as_str()));
        assert_eq!(lines[0].amount, Decimal::new(15000, 2));
        assert_eq!((lines[0].value_date.as_str(), lines[0].debtor.as_str(), lines[0].currency.as_str()), ("2026-11-29", "Jane Trader", "EUR"));
        assert_eq!(lines[1].reference.as_deref(), Some(r.as_str()));
        assert_eq!(lines[2].reference, None);
        assert_eq!(lines[2].remittance, "no reference at all");
        assert_eq!(lines[0].entry_key, "DE89370400440532013000/EUR/A1");
        assert_eq!(parse(&xml).unwrap(), lines, "the same file gives the same keys");
    }

    #[test]
    fn a_batch_booking_is_one_line_per_payment() {
        let xml = statement(
            "S2",
            r#"<Ntry><Amt Ccy="EUR">300</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt>
               <NtryDtls>
                 <TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">100</Amt></TxAmt></AmtDtls><RmtInf><Ustrd>one</Ustrd></RmtInf></TxDtls>
                 <TxDtls><Amt Ccy="EUR">200</Amt><RmtInf><Ustrd>two</Ustrd></RmtInf></TxDtls>
               </NtryDtls></Ntry>"#,
        );
        let lines = parse(&xml).unwrap();
        assert_eq!(lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [Decimal::from(100), Decimal::from(200)]);
        assert_eq!(lines[1].entry_key, "DE89370400440532013000/EUR/S2/1/2");
        // Payments that do not add up to the booking (net of charges): one line, no reference.
        let net = xml.replace(r#"<Amt Ccy="EUR">200</Amt>"#, r#"<Amt Ccy="EUR">195</Amt>"#);
        let lines = parse(&net).unwrap();
        assert_eq!((lines.len(), lines[0].amount, lines[0].reference.as_ref()), (1, Decimal::from(300), None));
        assert!(lines[0].remittance.contains("one") && lines[0].remittance.contains("two"));
    }

    #[test]
    fn a_batch_without_amounts_per_payment_is_one_line_with_no_reference() {
        let r = CreditorRef::for_body("123456789012345678").unwrap();
        let xml = statement(
            "S4",
            &format!(
                r#"<Ntry><Amt Ccy="EUR">300</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt>
               <NtryDtls><TxDtls><RmtInf><Ustrd>{r}</Ustrd></RmtInf></TxDtls><TxDtls><RmtInf><Ustrd>other payer</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#
            ),
        );
        let lines = parse(&xml).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].reference, None, "the whole batch is never matched to its first payer");
        assert!(lines[0].remittance.contains("other payer"));
    }

    #[test]
    fn a_reversal_is_not_money_received() {
        let xml = statement("S5", &credit("R1", "50", "").replace("<CdtDbtInd>", "<RvslInd>true</RvslInd><CdtDbtInd>"));
        assert!(parse(&xml).unwrap().is_empty());
    }

    #[test]
    fn anything_unreadable_refuses_the_whole_file_with_a_reason() {
        for (xml, says) in [
            ("<Document", "not well-formed XML"),
            ("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"><BkToCstmrStmt/></Document>", "not an ISO 20022 camt.053"),
            (&statement("S3", &credit("B1", "ten", "")), "entry 1: the amount is not a number"),
            (&statement("S3", &[credit("B1", "10", ""), credit("B2", "-3", "")].concat()), "entry 2: the amount must be positive"),
            (&statement("S3", &credit("B1", "10", "").replace("Ccy=\"EUR\"", "")), "Ccy"),
            (
                "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"/>",
                "not well-formed XML",
            ),
        ] {
            let err = parse(xml).unwrap_err().to_string();
            assert!(err.contains(says), "{says}: {err}");
        }
    }
}
