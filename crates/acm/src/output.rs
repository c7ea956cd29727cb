//! Output formats shared by the commands: volume sizes and completion lines.

/// `4.0 Gbyte`: the size in GiB with one decimal, as swsrpvolinfo prints it.
pub fn gbytes(bytes: u64) -> String {
    format!("{:.1} Gbyte", bytes as f64 / (1u64 << 30) as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lines() {
        assert_eq!(gbytes(4 << 30), "4.0 Gbyte");
        assert_eq!(gbytes(9_771_050_598), "9.1 Gbyte");
        assert_eq!(
            pair_completed("/dev/a@S", "/dev/b@S", "swsrpmake"),
            "FROM=/dev/a@S,TO=/dev/b@S swsrpmake completed"
        );
    }
}
