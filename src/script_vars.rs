//! Script variables, so one pipeline script runs on any input and output directory:
//! `-v name=value` in the shell, `variables={...}` in Python, `${name}` or `${name:-default}`
//! in the SQL text. `$${` stands for a literal `${`.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    /// Parses `name=value`.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        match assignment.split_once('=') {
            Some((name, value)) if is_name(name) => self.insert(name, value),
            _ => Err(format!("-v takes NAME=VALUE (NAME of letters, digits and '_'), not '{assignment}'")),
        }
    }

    pub fn insert(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !is_name(name) {
            return Err(format!("'{name}' is not a variable name (letters, digits and '_')"));
        }
        self.0.insert(name.to_string(), value.to_string());
        Ok(())
    }

    /// The SQL text with every `${name}` replaced.
    pub fn substitute(&self, sql: &str) -> Result<String, String> {
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(r) = rest.strip_prefix("$${") {
                out.push_str("${");
                rest = r;
            } else if let Some(r) = rest.strip_prefix("${") {
                let Some(end) = r.find('}') else {
                    return Err(format!("unterminated variable reference '{}'", r.lines().next().unwrap_or("")));
                };
                let (name, default) = match r[..end].split_once(":-") {
                    Some((n, d)) => (n, Some(d)),
                    None => (&r[..end], None),
                };
                if !is_name(name) {
                    return Err(format!("'${{{}}}' is not a variable reference (write '$${{' for a literal '${{')", &r[..end]));
                }
                match (self.0.get(name), default) {
                    (Some(v), _) => out.push_str(v),
                    (None, Some(d)) => out.push_str(d),
                    (None, None) => return Err(format!("variable '{name}' is not set (shell: -v {name}=VALUE)")),
                }
                rest = &r[end + 1..];
            } else {
                out.push('$');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::Vars;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("data=/tmp/in dir").unwrap();
        v.set("seed=7").unwrap();
        v
    }

    #[test]
    fn substitutes_values_and_defaults() {
        let sql = "SELECT '${data}/x', ${seed}, ${n:-100}, '$${literal}', 5 $ 2";
        assert_eq!(vars().substitute(sql).unwrap(), "SELECT '/tmp/in dir/x', 7, 100, '${literal}', 5 $ 2");
    }

    #[test]
    fn a_missing_variable_is_named() {
        assert_eq!(vars().substitute("SELECT ${out}").unwrap_err(), "variable 'out' is not set (shell: -v out=VALUE)");
        assert!(vars().substitute("SELECT ${out").unwrap_err().contains("unterminated"));
        assert!(vars().substitute("SELECT ${a b}").unwrap_err().contains("not a variable reference"));
    }

    #[test]
    fn assignments_need_a_name() {
        let mut v = Vars::default();
        assert!(v.set("=x").is_err());
        assert!(v.set("novalue").is_err());
        assert!(v.set("a=b=c").is_ok());
        assert!(v.insert("x y", "1").is_err());
        assert_eq!(v.substitute("${a}").unwrap(), "b=c");
    }
}
