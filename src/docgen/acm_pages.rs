//! The manual's text of each ACM command for its man page (seed 004, chapter 8: name line,
//! description, options, examples), keyed by command name. A command without an entry
//! still gets a complete page from its option table (see [`super::acm_page`]).

/// One command's text.
pub struct Page {
    pub name: &'static str,
    /// The NAME line after the dash.
    pub summary: &'static str,
    /// DESCRIPTION paragraphs.
    pub description: &'static [&'static str],
    /// Each option's description, by option name.
    pub options: &'static [(&'static str, &'static str)],
    /// (caption, transcript) pairs.
    pub examples: &'static [(&'static str, &'static str)],
}

/// The manual's EXIT STATUS, the same for every command of chapter 8.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("=0", "Completed successfully"),
    (">0", "Terminated abnormally"),
];

/// The entry of `name`, when there is one.
pub fn page(name: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.name == name)
}

pub const PAGES: &[Page] = &[
    Page {
        name: "swsrpsetvol",
        summary: "sets the replication source volumes and replication destination volumes",
        description: &["This command sets the replication source volumes and replication destination volumes that are used in a replication operation. Execute this command to declare that the replication operation is performed using the specified replication volumes."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-u", "Specifies the direction of copying."),
            ("-o", "When performing the server-to-server replication, specify the operation server(s) authorized to manage replication."),
            ("-n", "If this option is omitted, replication volume information cannot be set when the sizes of the replication source volume and replication destination volume are different."),
            ("-Xgroup", "Specifies that the copy source and copy destination volumes are registered in a group."),
        ],
        examples: &[
            (
                "Set replication volume information by specifying volume/dev/vg01 of Managed Server SRC-SV as the replication source volume and volume /dev/vg02 of Managed Server TARG-SV as the replication destination volume. In addition, specify one-way copying for the copy direction and specify the replication source server (SRC-SV) as the operation server. The following example shows the command executed on SRC-SV",
                "# /opt/FJSVswsrp/bin/swsrpsetvol -u -o ORG /dev/vg01 /dev/vg02@TARG-SV\nswsrpsetvol completed\n#",
            ),
            (
                "When the same settings are made from TARG-SV, the example is as follows (be careful with the volume name)",
                "# /opt/FJSVswsrp/bin/swsrpsetvol -u -o ORG /dev/vg01@SRC-SV /dev/vg02\nswsrpsetvol completed\n#",
            ),
        ],
    },
    Page {
        name: "swsrpvolinfo",
        summary: "displays the replication volume information",
        description: &["This command displays the replication volume information registered by the swsrpsetvol command. The following information is displayed."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-L", "Specifies that information is displayed using the extended format."),
        ],
        examples: &[
            (
                "Direct that all the replication volume information on a Management Server is to be displayed on Managed Server SRC-SV",
                "# /opt/FJSVswsrp/bin/swsrpvolinfo -h SRC-SV\nServer Original-Volume      Size      Replica-Volume      Size      Copy      Op-Server\nSRC-SV /dev/vg01@SRC-SV         4.0 Gbyte /dev/vg01@TARG-SV   4.0 Gbyte uni-direction original\nSRC-SV /dev/vg02@SRC-SV         4.0 Gbyte /dev/vg02@TARG-SV   5.0 Gbyte bi-direction original\nSRC-SV /dev/vg03@SRC-SV         9.1 Gbyte /dev/vg03@TARG-SV   9.1 Gbyte bi-direction replica\nSRC-SV /dev/vg04@SRC-SV         7.5 Gbyte /dev/vg04@TARG-SV   7.5 Gbyte bi-direction both\n#",
            ),
        ],
    },
    Page {
        name: "swsrpdelvol",
        summary: "deletes the replication volume",
        description: &["This command deletes the replication volume information that has been set.", "If copy processing is being performed on a replication volume that is to be deleted, execute the command after the copy processing has stopped."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-e", "Emergency mode is available for operations."),
            ("-d", "Specifies that no communication should take place between the linked servers in server-to-server replication."),
        ],
        examples: &[
            (
                "Delete replication volume information on Managed Server SRC-SV",
                "# /opt/FJSVswsrp/bin/swsrpdelvol /dev/vg01 /dev/vg01@TARG-SV  \nswsrpdelvol completed  \n#",
            ),
        ],
    },
    Page {
        name: "swsrpstartsync",
        summary: "starts synchronous processing",
        description: &["Start the synchronous replication processing (copying between disks by EC and REC).", "It copies all the data from the source volume to the destination volume at the start of the synchronization process, or if run as a restart of the synchronization process it just copies updated data to the destination volume. Use this command at the start of operation or when you want to reflect updated data (differences) from the equivalency maintenance state."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-y", "Specifies inter-box synchronization in synchronous mode."),
            ("-a", "Specifies the start of split mode for inter-box synchronization in Automatic Split mode."),
            ("-v", "Specifies the start of split mode for inter-box synchronization in Manual Split mode."),
            ("-k", "Specifies the setting of transfer mode for inter-box synchronization in Stack mode."),
            ("-i", "Specifies the setting of transfer mode for inter-box synchronization in Consistency mode."),
            ("-g", "Specifies the setting of recovery mode for inter-box synchronization in Manual Recovery mode."),
            ("-m", "For server-to-server replication, this option specifies that communication processing with non-operational servers is not performed."),
            ("-t", "Specifies that pre-processing for the replication destination volume is not performed."),
            ("-Xgroup", "Specifies that synchronous processing must be started for each group."),
            ("-Xreverse", "Specifies that synchronous processing must be started for each group in the reverse direction (from replica volumes to original volumes)."),
            ("-Xskip", "Specifies that synchronous processing must be suspended using the initial copy skip function."),
            ("-Xremain", "Enables data that has been updated to the copy destination during replication established status when synchronous processing is restarted."),
            ("-Xda", "Disables update (WRITE) and access (READ) to the replication destination volume from the synchronous processing start until the replication has been completed."),
        ],
        examples: &[
            (
                "Start replication from /dev/vg01 of a Management Server to /dev/vg01@TARG-SV of Managed Server SRC-SV",
                "# /opt/FJSVswsrp/bin/swwsrpstartsync -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV\nFROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swwsrpstartsync completed\n#",
            ),
            (
                "Start replication from /dev/vg01 of a Management Server to /dev/vg01@TARG-SV of a Managed Server SRC-SV with replication destination volume access disabled.",
                "# /opt/FJSVswsrp/bin/swwsrpstartsync -h SRC-SV -Xda /dev/vg01 /dev/vg01@TARG-SV\nFROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swwsrpstartsync completed\n#",
            ),
            (
                "Start replication for group \"GRP1\"",
                "# /opt/FJSVswsrp/bin/swwsrpstartsync -Xgroup GRP1\nGROUP=GRP1 swwsrpstartsync completed\n#",
            ),
        ],
    },
    Page {
        name: "swsrpmake",
        summary: "creates a replication volume",
        description: &["When synchronization processing (EC) is not performed, this command starts snapshot processing (OPC/QuickOPC/SnapOPC/SnapOPC+) to create a replication volume.", "When synchronization processing is performed, check whether the status of the processing is in the equivalency maintenance state. If so, suspend the synchronization processing and create a replication volume. The status in which synchronization processing is suspended is referred to as the replication established status. After this command is executed, the replication destination volume can be accessed."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-m", "For server-to-server replication, this specifies that communication processing is not performed with the non-operation server."),
            ("-f", "Specifies that the pre-processing and post-processing are not performed for a replication source volume."),
            ("-t", "Specifies that the pre-processing and post-processing are not performed for a replication destination volume."),
            ("-j", "Specifies that copy processing is forcibly suspended even if the execution status of copying is \"sync: Total copy or incremental copy is being performed\" or \"halt: Hard suspend status\" in synchronization processing of intra-box replication."),
            ("-T", "Specifies that differential snapshot processing is executed."),
            ("-Xgroup", "Specifies that a replication is created for each group."),
            ("-Xreverse", "Specifies that a replication is created for each group in the reverse direction (i.e., from replica volumes to original volumes)."),
            ("-Xconcur", "Specifies that a replication is created using the Concurrent Suspend function."),
            ("-Xconcur-opc", "Specifies that a replication is created using the Concurrent OPC function."),
            ("-C", "Specifies to start SnapOPC."),
            ("-P", "Specifies to start SnapOPC+."),
        ],
        examples: &[
            (
                "The Management Server instructs Managed Server SRC-SV to create a copy of /dev/vg01 in /dev/vg01@TARG-SV",
                "# /opt/FJSVswsrp/bin/swsrpmake -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV\nFROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpmake completed\n#",
            ),
            (
                "Creates a copy for the group \"GRP1\"",
                "# /opt/FJSVswsrp/bin/swsrpmake -Xgroup GRP1\nGROUP=GRP1 swsrpmake completed\n#",
            ),
            (
                "Creates a copy for the group \"GRP1\" by using the Concurrent OPC",
                "# /opt/FJSVswsrp/bin/swsrpmake -Xgroup GRP1 -Xconcur-opc\nGROUP=GRP1 swsrpmake completed\n#",
            ),
        ],
    },
    Page {
        name: "swsrpstat",
        summary: "displays the operation status",
        description: &["This command displays the operation status of the specified volume. If a volume is not specified, the operation status of each replication volume is displayed."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-L", "Specifies to display in extension format."),
            ("-E", "An option which when set displays the operational status in the opposite direction only (from the copy destination to the copy source)."),
            ("-Xgroup", "Specifies that the operation statuses are displayed by the group."),
            ("-H", "Changes the Status column display method used when a REC enters a hard-suspend (halt) status."),
            ("-O", "Changes the error suspend (failed) status Status column display method."),
            ("-Xda", "Displays the access permission settings for copy destination volume."),
            ("-Xdate", "Displays the timestamp of the last copy session status transition."),
            ("-Xall", "Displays the all information."),
        ],
        examples: &[
            (
                "Direct that all the replication operation statuses for Managed Server (SRC-SV) be displayed on the Management Server",
                "# /opt/FJSVswsrp/bin/swsrpstat -h SRC-SV\nServer Original-Volume Replica-Volume Direction Status Execute\nSRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ----\nSRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ----\nSRC-SV /dev/vg02@SRC-SV /dev/vg03@TARG-SV reverse snap 45%\nSRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular copy-on-write(inactive) ----\nSRC-SV /dev/vg01@SRC-SV /dev/vg02@TARG-SV regular copy-on-write(inactive) ----\nSRC-SV /dev/vg01@SRC-SV /dev/vg03@TARG-SV regular copy-on-write(active) ----\n#",
            ),
            (
                "Direct that all the replication operation statuses for Managed Server (SRC-SV) be displayed on the Management Server (with the -L option specified)",
                "# /opt/FJSVswsrp/bin/swsrpstat -h SRC-SV -L\nServer Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv\nSplit Xfer Snap-Gen\nSRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- ---- auto\n---- async ----\nSRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ---- on 6% ----",
            ),
            (
                "Direct that all the replication operation statuses for Managed Server (SRC-SV) be displayed on the Management Server (with the -Xall option specified)",
                "\n# /opt/FJSVswsrp/bin/swsrpstat -h SRC-SV -Xall\nServer Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer\nSnap-Gen Copy-DA Date\nSRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- ---- auto ---- async\n---- on 2010/10/20 22:00:45\nSRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV ---- ---- ---- on 6% ---- ----\n---- off 2010/10/20 22:10:39\nSRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45% off ---- ---- ----\n---- on 2010/10/21 22:00:23\n#\n",
            ),
            (
                "Direct that all the replication operation statuses for Managed Server (SRC-SV) be displayed on the Management Server (with the -Xdate option specified)",
                "\n# /opt/FJSVswsrp/bin/swsrpstat -h SRC-SV -Xdate\nServer Original-Volume Replica-Volume Direction Status Execute Date\nSRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- 2010/10/20 22:00:45\nSRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV ---- ---- ---- 2010/10/20 22:10:39\nSRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45% 2010/10/21 22:00:23\n#\n",
            ),
        ],
    },
    Page {
        name: "swsrpcancel",
        summary: "stops snapshot processing and synchronization processing",
        description: &["This command stops snapshot processing (OPC/QuickOPC/SnapOPC/SnapOPC+) and synchronization processing (EC) of the specified replication volume. Use this command when an error is detected during the replication operation and when you want to stop replication processing."],
        options: &[
            ("-h", "When executing on the Management Server, specify the name of the target Managed Server."),
            ("-c", "Specifies that the copy processing is forcibly stopped from a non-operation server when the operation server cannot be used because of a system failure."),
            ("-m", "For server-to-server replication, this option specifies that communication processing is not performed with non-operation servers."),
            ("-f", "When stopping synchronous processing under the equivalency maintained status, specify that pre-processing and post-processing for the copy source volume is not being executed."),
            ("-t", "When stopping the synchronous processing under the equivalency maintained status, this specifies that post-processing for the copy destination volume is not executed."),
            ("-b", "Specifies that the inter-box copy operation in the halt status be stopped."),
            ("-T", "Specifies that differential snapshot processing is terminated."),
            ("-Xgroup", "Specifies that copy processing is stopped for each group."),
            ("-Xreverse", "Specifies that copy processing that is being executed in the reverse direction (from replica volumes to original volumes) is stopped."),
            ("-Xforce", "Specification of this option forcibly stops a SnapOPC+ session."),
        ],
        examples: &[
            (
                "On the Management Server, direct that copying from /dev/vg01 to /dev/vg01@TARG-SV is stopped for Managed Server SRC-SV",
                "#!/opt/FJSSVswsrp/bin/swsrpcancel -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV\nFROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpcancel completed\n#",
            ),
            (
                "Stops copy processing for group \"GRP1\"",
                "# /opt/FJSVswsrp/bin/swsrpcancel -Xgroup GRP1\nGROUP=GRP1 swsrpcancel completed\n#",
            ),
        ],
    },
];
