//! Name matching for screening. Lists spell a person's name in their own
//! script and order ("ПУТИН Владимир", "KIM Chol Su", "Müller, Hans"), a trader
//! types it in theirs, so both sides are brought to the same form first:
//! transliterated to ASCII (`deunicode`: Cyrillic, Greek, Arabic, CJK,
//! accents), lower case, split into words. Two names are then compared as
//! sets of words, in any order: each word of the shorter name is paired with
//! the most similar unused word of the longer one (Jaro-Winkler, which
//! forgives the small spelling differences of transliteration: Mohammed and
//! Muhammad), and the score is the share of the shorter name's letters so
//! matched. A middle name or patronymic one side leaves out costs nothing; a
//! different first name costs its whole weight.

/// Words below this similarity are different words, not spellings of one.
const WORD_FLOOR: f64 = 0.84;

/// A name as screening compares it: transliterated, lower-case words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words(Vec<String>);

impl Words {
    pub fn of(name: &str) -> Words {
        let ascii = deunicode::deunicode(name).to_lowercase();
        Words(ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_words(self) -> Vec<String> {
        self.0
    }
}

/// How alike two names are, from 0 (nothing in common) to 1 (the same words
/// in some order). A one-word name against a longer one counts half: a
/// single name cannot tell people apart.
pub fn similarity(a: &Words, b: &Words) -> f64 {
    let (short, long) = if a.0.len() <= b.0.len() { (&a.0, &b.0) } else { (&b.0, &a.0) };
    if short.is_empty() {
        return 0.0;
    }
    let mut used = vec![false; long.len()];
    let (mut matched, mut total) = (0.0, 0.0);
    // The best pairs first, so a good pair is not taken by a poorer one.
    let mut pairs: Vec<(f64, usize, usize)> = vec![];
    for (i, s) in short.iter().enumerate() {
        for (j, l) in long.iter().enumerate() {
            let score = word_similarity(s, l);
            if score >= WORD_FLOOR {
                pairs.push((score, i, j));
            }
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut paired = vec![false; short.len()];
    for (score, i, j) in pairs {
        if !paired[i] && !used[j] {
            paired[i] = true;
            used[j] = true;
            matched += score * short[i].len() as f64;
        }
    }
    for s in short {
        total += s.len() as f64;
    }
    let score = matched / total;
    if short.len() == 1 && long.len() > 1 {
        score / 2.0
    } else {
        score
    }
}

fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    // An initial stands for any word it begins ("J. Smith").
    if (a.len() == 1 && b.starts_with(a)) || (b.len() == 1 && a.starts_with(b)) {
        return WORD_FLOOR;
    }
    strsim::jaro_winkler(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(a: &str, b: &str) -> f64 {
        similarity(&Words::of(a), &Words::of(b))
    }

    #[test]
    fn the_same_name_in_another_order_case_or_punctuation_is_the_same() {
        assert_eq!(sim("Hans Müller", "MULLER, Hans"), 1.0);
        assert_eq!(sim("Hans Müller", "müller hans"), 1.0);
        assert_eq!(Words::of("  O'Brien-Smith  "), Words(vec!["o".into(), "brien".into(), "smith".into()]));
    }

    #[test]
    fn another_script_is_transliterated_before_comparing() {
        // Cyrillic, with the patronymic the trader leaves out.
        assert!(sim("Ivan Petrov", "ПЕТРОВ Иван Сергеевич") >= 0.99, "{}", sim("Ivan Petrov", "ПЕТРОВ Иван Сергеевич"));
        // Greek and accents.
        assert!(sim("Nikos Papadopoulos", "Νίκος Παπαδόπουλος") >= 0.95);
        assert_eq!(sim("José Álvarez", "Jose Alvarez"), 1.0);
    }

    #[test]
    fn spellings_of_one_name_match_and_different_names_do_not() {
        let close = sim("Muhammad Al Rashid", "Mohammed Al-Rashid");
        assert!(close >= 0.88, "{close}");
        // A different first name is a different person, whatever the surname.
        let other = sim("John Smith", "Jane Smith");
        assert!(other < 0.7, "{other}");
        assert!(sim("Alice Walker", "Robert Brown") < 0.1);
    }

    #[test]
    fn a_missing_middle_name_costs_nothing_and_a_single_name_counts_half() {
        assert_eq!(sim("John Smith", "John Michael Smith"), 1.0);
        assert_eq!(sim("Smith", "John Smith"), 0.5);
        assert_eq!(sim("Smith", "Smith"), 1.0);
        assert_eq!(sim("", "John Smith"), 0.0);
        // An initial stands for its word, a little below a full match.
        let initial = sim("J Smith", "John Smith");
        assert!((0.84..1.0).contains(&initial), "{initial}");
    }

    #[test]
    fn each_word_is_used_once() {
        // "anna" cannot stand for both of the trader's words.
        assert!(sim("Anna Anna", "Anna Berg") < 0.6);
    }
}
