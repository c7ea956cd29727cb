//! swstsdv — Snap Data Volume and Snap Data Pool tools (manual 8.5.2, spec §4.14):
//! `init volumeName | init -G accessVolumeName luNumber`, `stat` (same forms),
//! `poolstat -G volumeName`. Capacities in 512-byte sectors.

use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::device::Volume;
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::Engine;

const FLAGS: &[Flag] = &[valued("-G")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsdv",
        usage: "swstsdv {init | stat} {volumeName | -G accessVolumeName luNumber} | swstsdv poolstat -G volumeName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: Some(|args| args.operands.first().is_some_and(|a| a == "stat" || a == "poolstat")),
    }
}

fn percent(part: u64, whole: u64) -> String {
    format!("{}%", (part * 100).checked_div(whole).unwrap_or(0))
}

/// The SDV a command names: the volume itself, or LU `lu` of the access volume's array.
fn sdv(engine: &mut Engine, args: &Args) -> Result<Volume, AcmError> {
    match (args.value("-G"), &args.operands[1..]) {
        (None, [name]) => Ok(engine.resolve(name)?),
        (Some(access), [lu]) => {
            let number: u32 = lu
                .parse()
                .map_err(|_| AcmError::usage(format!("'{lu}' is not an LU number (decimal)")))?;
            let access = engine.resolve(access)?;
            Ok(Volume {
                device: format!("LU {number}"),
                number,
                ..access
            })
        }
        _ => Err(AcmError::usage(
            "give a volume name, or -G accessVolumeName luNumber".to_string(),
        )),
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let Some(action) = args.operands.first().cloned() else {
        return Err(AcmError::usage("give init, stat or poolstat".to_string()));
    };
    let mut engine = cx.engine()?;
    let result = (|| -> Result<Vec<String>, AcmError> {
        match action.as_str() {
            "init" => {
                let target = sdv(&mut engine, args)?;
                engine.sdv_init(&target)?;
                Ok(vec!["swstsdv init completed".to_string()])
            }
            "stat" => {
                let target = sdv(&mut engine, args)?;
                let s = engine.sdv_stat(&target)?;
                Ok(vec![
                    format!("BoxID = {}", target.box_id),
                    format!("LUN = {} (0x{:X})", target.number, target.number),
                    "Rate Logical(sector) Physical(sector) Used(sector) Copy(sector) Host(sector) Pool(sector)".to_string(),
                    format!(
                        "{} {} {} {} {} {} {}",
                        percent(s.used, s.physical),
                        s.logical,
                        s.physical,
                        s.used,
                        s.copy,
                        s.host,
                        s.pool
                    ),
                ])
            }
            "poolstat" => {
                let (Some(name), 1) = (args.value("-G"), args.operands.len()) else {
                    return Err(AcmError::usage("poolstat takes -G volumeName".to_string()));
                };
                let target = engine.resolve(name)?;
                let mut lines = vec![
                    format!("BoxID = {}", target.box_id),
                    "Pool-Type Rate Total(sector) Used(sector) Copy(sector) Host(sector) Free(sector)".to_string(),
                ];
                for p in engine.pool_stat(&target)? {
                    lines.push(format!(
                        "{} {} {} {} {} {} {}",
                        p.kind,
                        percent(p.used, p.total),
                        p.total,
                        p.used,
                        p.copy,
                        p.host,
                        p.free
                    ));
                }
                Ok(lines)
            }
            other => Err(AcmError::usage(format!(
                "'{other}' is not init, stat or poolstat"
            ))),
        }
    })();
    engine.close();
    for line in result? {
        cx.println(line);
    }
    Ok(())
}
