//! Parsing SQL so that `p.pt` works on a struct lambda parameter.
//!
//! DataFusion 55 plans `p['pt']` on a lambda parameter but resolves `p.pt` as a column `pt` of
//! a table `p` ("No field named p.pt"; apache/datafusion#25177 is still open). Where we own the
//! parse step, every compound identifier inside a lambda body whose first part is a
//! parameter of an enclosing lambda is rewritten to the subscript form before planning.
//! Lambda parameters shadow tables and columns of the same name, as in DataFusion's planner.
//!
//! Two more spellings a physicist expects are fixed the same way: `.field` after any
//! expression (`sum_p4(Jet).pt`, `Muon[1].eta`) becomes a subscript, and `exists(list, x ->
//! ...)`, which SQL parsers read as an `EXISTS (subquery)`, becomes a call of our function.
//! And a comparison as a function argument, `roc_auc(score, label = 1)`, which the DuckDB
//! dialect reads as a named argument `label`, is a comparison again (named arguments keep
//! working with `=>`).
//!
//! DataFusion 55 refuses named arguments of table functions (apache/datafusion#17379). Ours
//! take options by name (`train_classifier('m', 'train', epochs => 5)`), so each named
//! argument `k => v` (or `k = v`) of a table function becomes the argument
//! `named_struct('k', v)`, which the planner folds into a one-field struct literal that
//! [`named_table_args`] reads back.

use std::ops::ControlFlow;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::context::{SessionContext, SessionState};
use datafusion::prelude::DataFrame;
use datafusion::sql::parser::{CopyToSource, DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, Subscript, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::{dialect_from_str, Dialect};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Word};

/// Parses `sql` with the session's dialect into statements, with lambda field access
/// rewritten (see the module docs).
pub fn parse_statements(ctx: &SessionContext, sql: &str) -> Result<Vec<DFStatement>> {
    parse_statements_with(&ctx.state(), sql)
}

/// [`parse_statements`] for code that holds a session state rather than a context (table
/// functions that take a query as an argument).
pub fn parse_statements_with(state: &SessionState, sql: &str) -> Result<Vec<DFStatement>> {
    let options = state.config().options().sql_parser.clone();
    let dialect = dialect_from_str(options.dialect.to_string())
        .ok_or_else(|| DataFusionError::Plan(format!("unknown SQL dialect {}", options.dialect)))?;
    let tokens = exists_calls_as_functions(dialect.as_ref(), sql)?;
    let mut statements: Vec<DFStatement> =
        DFParserBuilder::new(tokens).with_dialect(dialect.as_ref()).build()?.parse_statements()?.into();
    for s in &mut statements {
        rewrite_lambda_field_access(s, options.enable_ident_normalization);
    }
    Ok(statements)
}

/// Tokenizes `sql`, turning the keyword `EXISTS` into the function name `exists` where it is
/// followed by `(` and something that does not start a subquery.
fn exists_calls_as_functions(dialect: &dyn Dialect, sql: &str) -> Result<Vec<TokenWithSpan>> {
    let mut tokens = Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .map_err(|e| DataFusionError::SQL(Box::new(e.into()), None))?;
    let significant: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_))).collect();
    for w in significant.windows(3) {
        let is_exists = matches!(&tokens[w[0]].token, Token::Word(Word { keyword: Keyword::EXISTS, quote_style: None, .. }));
        let opens = tokens[w[1]].token == Token::LParen;
        let subquery = matches!(&tokens[w[2]].token,
            Token::LParen | Token::Word(Word { keyword: Keyword::SELECT | Keyword::WITH | Keyword::VALUES | Keyword::TABLE | Keyword::FROM, .. }));
        if is_exists && opens && !subquery {
            tokens[w[0]].token = Token::Word(Word { value: "exists".into(), quote_style: Some('"'), keyword: Keyword::NoKeyword });
        }
    }
    Ok(tokens)
}

/// Runs one SQL statement like `SessionContext::sql`, with `p.pt` allowed in lambdas.
pub async fn sql(ctx: &SessionContext, sql: &str) -> Result<DataFrame> {
    let mut statements = parse_statements(ctx, sql)?;
    if statements.len() != 1 {
        return Err(DataFusionError::Plan(format!("expected one SQL statement, got {}", statements.len())));
    }
    run_statement(ctx, statements.remove(0)).await
}

/// Plans one parsed statement and hands it to the context: DDL takes effect, a query is
/// returned unexecuted.
pub async fn run_statement(ctx: &SessionContext, statement: DFStatement) -> Result<DataFrame> {
    let plan = ctx.state().statement_to_plan(statement).await.map_err(crate::suggest::guide)?;
    ctx.execute_logical_plan(plan).await
}

/// Rewrites `p.f.g` to `p['f']['g']` wherever `p` is a parameter of an enclosing lambda.
pub fn rewrite_lambda_field_access(statement: &mut DFStatement, normalize: bool) {
    let mut v = LambdaFields { scopes: Vec::new(), normalize };
    match statement {
        DFStatement::Statement(s) => {
            let _ = s.visit(&mut v);
        }
        DFStatement::CopyTo(c) => {
            if let CopyToSource::Query(q) = &mut c.source {
                let _ = q.visit(&mut v);
            }
        }
        DFStatement::Explain(e) => rewrite_lambda_field_access(&mut e.statement, normalize),
        DFStatement::CreateExternalTable(_) | DFStatement::Reset(_) => {}
    }
}

struct LambdaFields {
    scopes: Vec<Vec<String>>,
    normalize: bool,
}

impl LambdaFields {
    fn key(&self, id: &Ident) -> String {
        if self.normalize && id.quote_style.is_none() { id.value.to_lowercase() } else { id.value.clone() }
    }

    fn is_parameter(&self, id: &Ident) -> bool {
        let k = self.key(id);
        self.scopes.iter().any(|s| s.contains(&k))
    }
}

impl VisitorMut for LambdaFields {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Lambda(l) => {
                let names = l.params.iter().map(|p| self.key(&p.name)).collect();
                self.scopes.push(names);
            }
            Expr::CompoundFieldAccess { access_chain, .. } => {
                for a in access_chain.iter_mut() {
                    if let AccessExpr::Dot(Expr::Identifier(f)) = a {
                        *a = field_subscript(f);
                    }
                }
            }
            Expr::CompoundIdentifier(ids) if ids.len() >= 2 && self.is_parameter(&ids[0]) => {
                let root = Expr::Identifier(ids[0].clone());
                let access_chain = ids[1..].iter().map(field_subscript).collect();
                *expr = Expr::CompoundFieldAccess { root: Box::new(root), access_chain };
            }
            Expr::Function(f) => {
                if let FunctionArguments::List(list) = &mut f.args {
                    for a in list.args.iter_mut() {
                        if let FunctionArg::Named { name, arg: FunctionArgExpr::Expr(value), operator: FunctionArgOperator::Equals } = a {
                            let comparison = Expr::BinaryOp {
                                left: Box::new(Expr::Identifier(name.clone())),
                                op: BinaryOperator::Eq,
                                right: Box::new(value.clone()),
                            };
                            *a = FunctionArg::Unnamed(FunctionArgExpr::Expr(comparison));
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { args: Some(args), .. } = factor {
            for a in args.args.iter_mut() {
                if let FunctionArg::Named { name, arg: FunctionArgExpr::Expr(value), .. } = a {
                    let key = Expr::value(Value::SingleQuotedString(name.value.clone()));
                    let call = Function {
                        name: ObjectName::from(vec![Ident::new("named_struct")]),
                        uses_odbc_syntax: false,
                        parameters: FunctionArguments::None,
                        args: FunctionArguments::List(FunctionArgumentList {
                            duplicate_treatment: None,
                            args: vec![
                                FunctionArg::Unnamed(FunctionArgExpr::Expr(key)),
                                FunctionArg::Unnamed(FunctionArgExpr::Expr(value.clone())),
                            ],
                            clauses: vec![],
                        }),
                        filter: None,
                        null_treatment: None,
                        over: None,
                        within_group: vec![],
                    };
                    *a = FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Function(call)));
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if matches!(expr, Expr::Lambda(_)) {
            self.scopes.pop();
        }
        ControlFlow::Continue(())
    }
}

/// Splits the planned arguments of a table function into the positional ones and the named
/// ones (`k => v`, which arrive as one-field struct literals, see the module docs).
pub fn named_table_args(
    args: &[datafusion::logical_expr::Expr],
) -> (Vec<&datafusion::logical_expr::Expr>, Vec<(String, datafusion::common::ScalarValue)>) {
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::Expr as LExpr;
    let mut positional = Vec::new();
    let mut named = Vec::new();
    for a in args {
        match a {
            LExpr::Literal(ScalarValue::Struct(s), _) if s.num_columns() == 1 && datafusion::arrow::array::Array::len(s.as_ref()) == 1 => {
                let value = ScalarValue::try_from_array(s.column(0), 0).unwrap_or(ScalarValue::Null);
                named.push((s.fields()[0].name().clone(), value));
            }
            _ => positional.push(a),
        }
    }
    (positional, named)
}

fn field_subscript(field: &Ident) -> AccessExpr {
    AccessExpr::Subscript(Subscript::Index { index: Expr::value(Value::SingleQuotedString(field.value.clone())) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let ctx = SessionContext::new();
        ctx.state_ref().write().config_mut().options_mut().sql_parser.dialect = datafusion::config::Dialect::DuckDB;
        parse_statements(&ctx, sql).unwrap().remove(0).to_string()
    }

    #[test]
    fn parameters_get_subscripts_and_columns_do_not() {
        let s = rewritten("SELECT filter(Jet, j -> j.pt > MET.pt AND exists(Mu, m -> m.eta.x < j.eta)) FROM t");
        assert!(s.contains("j['pt'] > MET.pt"), "{s}");
        assert!(s.contains("m['eta']['x'] < j['eta']"), "{s}");
    }

    #[test]
    fn a_parameter_is_only_in_scope_inside_its_lambda() {
        let s = rewritten("SELECT transform(a, p -> p.x), p.x FROM t AS p");
        assert!(s.contains("p -> p['x']"), "{s}");
        assert!(s.ends_with("p.x FROM t AS p"), "{s}");
    }

    #[test]
    fn dots_after_expressions_and_exists_calls() {
        let s = rewritten("SELECT sum_p4(Jet).pt, Muon[1].eta FROM t WHERE NOT exists(Jet, j -> j.pt > 1) AND EXISTS (SELECT 1)");
        assert!(s.contains("sum_p4(Jet)['pt'], Muon[1]['eta']"), "{s}");
        assert!(s.contains("NOT \"exists\"(Jet, j -> j['pt'] > 1)"), "{s}");
        assert!(s.contains("EXISTS (SELECT 1)"), "{s}");
    }

    #[test]
    fn comparisons_as_arguments_stay_comparisons() {
        // Both forms print as `label = 1`; the parsed tree tells them apart.
        let ctx = SessionContext::new();
        ctx.state_ref().write().config_mut().options_mut().sql_parser.dialect = datafusion::config::Dialect::DuckDB;
        let tree = format!("{:?}", parse_statements(&ctx, "SELECT roc_auc(score, label = 1), f(x => 2) FROM t").unwrap());
        assert_eq!(tree.matches("Named {").count(), 1, "{tree}");
        assert!(tree.contains("op: Eq"), "{tree}");
        assert!(rewritten("SELECT f(x => 2)").contains("f(x => 2)"));
    }

    #[test]
    fn named_table_function_arguments_become_structs() {
        let s = rewritten("SELECT * FROM train_classifier('m', 'train', epochs => 5, model = 'hlf_dnn')");
        assert!(s.contains("train_classifier('m', 'train', named_struct('epochs', 5), named_struct('model', 'hlf_dnn'))"), "{s}");
    }
}
