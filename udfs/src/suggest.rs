//! Errors that guide: a misspelled column names the few closest columns, not every one (a
//! NanoAOD table has over a thousand; DataFusion listed them all, 38 KB of text, after its
//! own single guess), and a misspelled struct member (`j.PT` in a lambda over NanoAOD's
//! jets) names the struct's members, closest first (DataFusion: "Field PT not found in
//! struct").

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{plan_err, DFSchema, DataFusionError, Result, SchemaError};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawFieldAccessExpr};
use datafusion::logical_expr::{Expr, ExprSchemable, GetFieldAccess};

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
    let hint = if names.is_empty() {
        "nothing the query reads has columns".to_string()
    } else if closest.is_empty() {
        format!("none of the {} columns is close (DESCRIBE or \\d TABLE lists them)", names.len())
    } else {
        format!("closest: {} (of {} columns; names are case-sensitive)", closest.join(", "), names.len())
    };
    DataFusionError::Plan(format!("no column named '{what}'; {hint}"))
}

/// Checks `s.name` against the members of the struct `s` before DataFusion's planner turns
/// it into `get_field`; registered ahead of DataFusion's planners.
#[derive(Debug)]
pub struct MemberNames;

impl ExprPlanner for MemberNames {
    fn plan_field_access(&self, access: RawFieldAccessExpr, schema: &DFSchema) -> Result<PlannerResult<RawFieldAccessExpr>> {
        let GetFieldAccess::NamedStructField { name } = &access.field_access else { return Ok(PlannerResult::Original(access)) };
        let Some(Some(member)) = name.try_as_str() else { return Ok(PlannerResult::Original(access)) };
        let data_type = match &access.expr {
            Expr::LambdaVariable(v) => v.field.as_ref().map(|f| f.data_type().clone()),
            e => e.get_type(schema).ok(),
        };
        let Some(DataType::Struct(fields)) = data_type else { return Ok(PlannerResult::Original(access)) };
        if fields.iter().any(|f| f.name() == member) {
            return Ok(PlannerResult::Original(access));
        }
        let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
        let near = closest(member, &names, SHOWN);
        let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
        let more = if names.len() > shown.len() { format!(", … {} more", names.len() - shown.len()) } else { String::new() };
        let hint = if near.is_empty() { String::new() } else { format!("closest: {}; ", near.join(", ")) };
        plan_err!("{}: the struct has no member '{member}'; {hint}its members: {}{more} (names are case-sensitive)", access.expr, shown.join(", "))
    }
}

/// Up to `n` of `candidates` nearest `name`: same letters whatever the case first, then by
/// edit distance (case-insensitive), within a distance that a typo explains.
pub fn closest(name: &str, candidates: &[String], n: usize) -> Vec<String> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
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
