//! Output formats shared by the commands: volume sizes and completion lines.

/// `4.0 Gbyte`: the size in GiB with one decimal, as swsrpvolinfo prints it.
pub fn gbytes(bytes: u64) -> String {
    format!("{:.1} Gbyte", bytes as f64 / (1u64 << 30) as f64)
}

/// [`gbytes`] of each distinct size written once: a listing of 10,000 pairs has a few
/// volume sizes, and formatting a float is most of a row's cost.
#[derive(Default)]
pub struct Gbytes(std::collections::HashMap<u64, String>);

impl Gbytes {
    pub fn text(&mut self, bytes: u64) -> String {
        self.0.entry(bytes).or_insert_with(|| gbytes(bytes)).clone()
    }
}

/// `FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpmake completed`.
pub fn pair_completed(from: &str, to: &str, command: &str) -> String {
    format!("FROM={from},TO={to} {command} completed")
}

/// `GROUP=GRP1 swsrpmake completed`.
pub fn group_completed(group: &str, command: &str) -> String {
    format!("GROUP={group} {command} completed")
}

/// Columns joined by one space (scripts split on whitespace; Size and Date hold a space).
pub fn row(columns: &[&str]) -> String {
    columns.join(" ")
}

/// A status table: the manual's text, or with `-Xjson` (our extension, docs/compat.md)
/// the same rows as JSON objects keyed by the column headers. A header that repeats
/// (swsrpvolinfo's two `Size`) is keyed after the column before it (`Replica-Volume-Size`).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<&'static str>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, columns: Vec<String>) {
        self.rows.push(columns);
    }

    /// The manual's lines: the header, then one line per row.
    pub fn text(&self) -> Vec<String> {
        std::iter::once(row(&self.header))
            .chain(self.rows.iter().map(|r| {
                let columns: Vec<&str> = r.iter().map(String::as_str).collect();
                row(&columns)
            }))
            .collect()
    }

    /// The JSON keys, one per column, unique.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::with_capacity(self.header.len());
        for (i, name) in self.header.iter().enumerate() {
            let repeated = self.header[..i].contains(name);
            match (repeated, i.checked_sub(1).and_then(|p| self.header.get(p))) {
                (true, Some(before)) => keys.push(format!("{before}-{name}")),
                _ => keys.push((*name).to_string()),
            }
        }
        keys
    }

    /// `[{"Server": "...", ...}, ...]`, pretty-printed, as lines.
    pub fn json(&self) -> Vec<String> {
        let keys = self.keys();
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                serde_json::Value::Object(
                    keys.iter()
                        .cloned()
                        .zip(r.iter().map(|v| serde_json::Value::String(v.clone())))
                        .collect(),
                )
            })
            .collect();
        serde_json::to_string_pretty(&rows)
            .unwrap_or_else(|_| "[]".into())
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The text, or the JSON with `-Xjson`.
    pub fn lines(&self, json: bool) -> Vec<String> {
        if json {
            self.json()
        } else {
            self.text()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lines() {
        assert_eq!(gbytes(4 << 30), "4.0 Gbyte");
        assert_eq!(gbytes(9_771_050_598), "9.1 Gbyte");
        let mut sizes = Gbytes::default();
        assert_eq!(sizes.text(4 << 30), "4.0 Gbyte");
        assert_eq!(sizes.text(9_771_050_598), "9.1 Gbyte");
        assert_eq!(sizes.text(4 << 30), "4.0 Gbyte");
        assert_eq!(
            pair_completed("/dev/a@S", "/dev/b@S", "swsrpmake"),
            "FROM=/dev/a@S,TO=/dev/b@S swsrpmake completed"
        );
    }

    #[test]
    fn tables_render_text_and_json_with_unique_keys() {
        let mut table = Table::new(vec![
            "Server",
            "Original-Volume",
            "Size",
            "Replica-Volume",
            "Size",
        ]);
        table.push(vec![
            "SV1".into(),
            "/dev/a@SV1".into(),
            "4.0 Gbyte".into(),
            "/dev/b@SV1".into(),
            "4.0 Gbyte".into(),
        ]);
        assert_eq!(
            table.text(),
            [
                "Server Original-Volume Size Replica-Volume Size",
                "SV1 /dev/a@SV1 4.0 Gbyte /dev/b@SV1 4.0 Gbyte"
            ]
        );
        assert_eq!(
            table.keys(),
            [
                "Server",
                "Original-Volume",
                "Size",
                "Replica-Volume",
                "Replica-Volume-Size"
            ]
        );
        let json: serde_json::Value = serde_json::from_str(&table.json().join("\n")).expect("json");
        assert_eq!(json[0]["Replica-Volume-Size"], "4.0 Gbyte");
        assert_eq!(Table::new(vec!["A"]).json(), ["[]"]);
    }
}
