//! Errors that guide: a misspelled column names the few closest columns, not every one. A
//! NanoAOD table has over a thousand; DataFusion listed them all (38 KB of text) after its
//! own single guess.

use datafusion::common::{DataFusionError, SchemaError};

/// Columns shown at most when a name is not found.
const SHOWN: usize = 5;

/// `e` with a column-not-found error in it replaced by one that names the closest columns.
pub fn guide(e: DataFusionError) -> DataFusionError {
    let DataFusionError::SchemaError(inner, _) = e.find_root() else { return e };
    let SchemaError::FieldNotFound { field, valid_fields } = inner.as_ref() else { return e };
    let names: Vec<String> = valid_fields.iter().map(|c| c.name.clone()).collect();
    let closest = closest(&field.name, &names, SHOWN);
    let what = match &field.relation {
        Some(r) => format!("{r}.{}", field.name),
        None => field.name.clone(),
    };
    let hint = if closest.is_empty() {
        format!("the query's tables have {} columns (DESCRIBE or \\d TABLE lists them)", names.len())
    } else {
        format!("closest: {} (of {} columns; names are case-sensitive)", closest.join(", "), names.len())
    };
    DataFusionError::Plan(format!("no column named '{what}'; {hint}"))
}

/// Up to `n` of `candidates` nearest `name`: same letters whatever the case first, then by
/// edit distance (case-insensitive), within a distance that a typo explains.
pub fn closest(name: &str, candidates: &[String], n: usize) -> Vec<String> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        let names: Vec<String> = ["Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Jet_Px", "NMuon"].iter().map(|s| s.to_string()).collect();
        assert_eq!(closest("Muon_pX", &names, 3), ["Muon_Px", "Muon_Py", "Muon_Pz"]);
        assert_eq!(closest("nmuon", &names, 3), ["NMuon"]);
        assert!(closest("Electron_Charge", &names, 3).is_empty());
    }
}
