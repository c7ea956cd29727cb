//! Sets of track numbers as sorted, disjoint, half-open ranges: a full-volume copy of a
//! 4 GiB volume is one range, not 65,536 numbers in the state file.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    pub fn span(start: u64, end: u64) -> Ranges {
        let mut r = Ranges::default();
        r.insert(start, end);
        r
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> u64 {
        self.0.iter().map(|(a, b)| b - a).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, t: u64) -> bool {
        self.0.iter().any(|&(a, b)| a <= t && t < b)
    }

    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let (mut s, mut e) = (start, end);
        let mut placed = false;
        for &(a, b) in &self.0 {
            if b < s {
                out.push((a, b));
            } else if a > e {
                if !placed {
                    out.push((s, e));
                    placed = true;
                }
                out.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            out.push((s, e));
        }
        self.0 = out;
    }

    pub fn union(&mut self, other: &Ranges) {
        for (a, b) in other.iter() {
            self.insert(a, b);
        }
    }

    pub fn remove(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b <= start || a >= end {
                out.push((a, b));
                continue;
            }
            if a < start {
                out.push((a, start));
            }
            if b > end {
                out.push((end, b));
            }
        }
        self.0 = out;
    }

    pub fn subtract(&mut self, other: &Ranges) {
        for (a, b) in other.iter() {
            self.remove(a, b);
        }
    }

    /// The part of the set inside `[start, end)`.
    pub fn within(&self, start: u64, end: u64) -> Ranges {
        Ranges(
            self.0
                .iter()
                .filter_map(|&(a, b)| {
                    let (s, e) = (a.max(start), b.min(end));
                    (s < e).then_some((s, e))
                })
                .collect(),
        )
    }

    /// Removes and returns the first `n` tracks.
    pub fn take_first(&mut self, n: u64) -> Ranges {
        let mut taken = Ranges::default();
        let mut left = n;
        while left > 0 {
            let Some(&(a, b)) = self.0.first() else { break };
            let k = (b - a).min(left);
            taken.0.push((a, a + k));
            left -= k;
            if a + k == b {
                self.0.remove(0);
            } else {
                self.0[0].0 = a + k;
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_take() {
        let mut r = Ranges::default();
        r.insert(10, 20);
        r.insert(0, 5);
        r.insert(5, 10);
        assert_eq!(r, Ranges::span(0, 20));
        r.remove(3, 7);
        assert_eq!(r.len(), 16);
        assert!(!r.contains(4) && r.contains(7));
        let t = r.take_first(5);
        assert_eq!(t.len(), 5);
        assert_eq!(r.len(), 11);
        assert_eq!(r.within(0, 12).len(), 3);
    }
}
