/* Process catalog of the benchmark data generator: the programs a Windows fleet
 * starts, most frequent first, with the PE version information, folders and
 * command lines that Defender records for them. The generator draws programs
 * from this list with Zipf-like weights, so the order is the frequency rank. */
#ifndef BENCH_HUNT_CATALOG_H
#define BENCH_HUNT_CATALOG_H

enum account_kind { ACCOUNT_SYSTEM, ACCOUNT_USER, ACCOUNT_NETWORK_SERVICE, ACCOUNT_LOCAL_SERVICE };

struct program {
    const char *file_name;
    /* Folder without the file name; "%U" stands for the user profile folder
     * (C:\Users\<name>). */
    const char *folder;
    const char *company;
    const char *product;
    const char *version;
    const char *description;
    const char *original_file_name;
    const char *internal_name;
    long file_size;
    /* Command line; "%U" is the user profile folder, "%P" the full path of
     * the program, "%N" a random number and "%G" a random GUID. */
    const char *command_line;
    /* File name of the usual parent program, which must be in this catalog. */
    const char *parent;
    enum account_kind account;
};

#define MS "Microsoft Corporation"
#define MS_OS "Microsoft\xc2\xae Windows\xc2\xae Operating System"
#define SYS32 "C:\\Windows\\System32"

static const struct program catalog[] = {
    {"conhost.exe", SYS32, MS, MS_OS, "10.0.22621.3672", "Console Window Host", "CONHOST.EXE", "ConHost", 987136,
     "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "cmd.exe", ACCOUNT_USER},
    {"svchost.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Host Process for Windows Services", "svchost.exe",
     "svchost.exe", 57360, "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "services.exe",
     ACCOUNT_SYSTEM},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application", "Google LLC", "Google Chrome", "131.0.6778.86",
     "Google Chrome", "chrome.exe", "chrome_exe", 3044120,
     "\"%P\" --type=renderer --lang=en-US --renderer-client-id=%N --field-trial-handle=2044,i,%N,%N,262144",
     "explorer.exe", ACCOUNT_USER},
    {"msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application", MS, "Microsoft Edge",
     "131.0.2903.70", "Microsoft Edge", "msedge.exe", "msedge_exe", 4056128,
     "\"%P\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --field-trial-handle=1932,i,%N,%N,262144",
     "explorer.exe", ACCOUNT_USER},
    {"backgroundTaskHost.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Background Task Host", "backgroundTaskHost.exe",
     "backgroundTaskHost.exe", 34304,
     "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider",
     "svchost.exe", ACCOUNT_USER},
    {"RuntimeBroker.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Runtime Broker", "RuntimeBroker.exe",
     "RuntimeBroker.exe", 135168, "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding", "svchost.exe",
     ACCOUNT_USER},
    {"cmd.exe", SYS32, MS, MS_OS, "10.0.22621.3672", "Windows Command Processor", "Cmd.Exe", "cmd", 289792,
     "C:\\Windows\\system32\\cmd.exe /c \"\"C:\\ProgramData\\Scripts\\inventory-%N.cmd\"\"", "explorer.exe",
     ACCOUNT_USER},
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0", MS, MS_OS, "10.0.22621.3527",
     "Windows PowerShell", "PowerShell.EXE", "POWERSHELL", 455680,
     "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\Scripts\\collect-%N.ps1",
     "cmd.exe", ACCOUNT_USER},
    {"SearchProtocolHost.exe", SYS32, MS, MS_OS, "7.0.22621.3527", "Microsoft Windows Search Protocol Host",
     "SearchProtocolHost.exe", "SearchProtocolHost", 434176,
     "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe_S-1-5-21-%N "
     "Global\\UsGthrCtrlFltPipeMssGthrPipe_S-1-5-21-%N 1 -2147483646 \"Software\\Microsoft\\Windows Search\"",
     "SearchIndexer.exe", ACCOUNT_SYSTEM},
    {"WmiPrvSE.exe", "C:\\Windows\\System32\\wbem", MS, MS_OS, "10.0.22621.1", "WMI Provider Host", "Wmiprvse.exe",
     "Wmiprvse.exe", 495616, "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", "svchost.exe",
     ACCOUNT_NETWORK_SERVICE},
    {"taskhostw.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Host Process for Windows Tasks", "taskhostw.exe",
     "taskhostw.exe", 101376, "taskhostw.exe {%G}", "svchost.exe", ACCOUNT_USER},
    {"dllhost.exe", SYS32, MS, MS_OS, "10.0.22621.1", "COM Surrogate", "dllhost.exe", "dllhost", 21312,
     "C:\\Windows\\system32\\DllHost.exe /Processid:{%G}", "svchost.exe", ACCOUNT_USER},
    {"Teams.exe", "%U\\AppData\\Local\\Microsoft\\Teams\\current", MS, "Microsoft Teams", "1.7.00.13456",
     "Microsoft Teams", "Teams.exe", "Teams", 144221616,
     "\"%P\" --type=renderer --autoplay-policy=no-user-gesture-required --lang=en-US --renderer-client-id=%N",
     "explorer.exe", ACCOUNT_USER},
    {"OUTLOOK.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", MS, "Microsoft Outlook",
     "16.0.17928.20156", "Microsoft Outlook", "Outlook.exe", "Outlook", 43838320, "\"%P\" /recycle",
     "explorer.exe", ACCOUNT_USER},
    {"SearchFilterHost.exe", SYS32, MS, MS_OS, "7.0.22621.3527", "Microsoft Windows Search Filter Host",
     "SearchFilterHost.exe", "SearchFilterHost", 259072,
     "\"C:\\Windows\\system32\\SearchFilterHost.exe\" 0 812 816 824 8192 820 796", "SearchIndexer.exe",
     ACCOUNT_SYSTEM},
    {"OneDrive.exe", "%U\\AppData\\Local\\Microsoft\\OneDrive", MS, "Microsoft OneDrive", "24.226.1110.0004",
     "Microsoft OneDrive", "OneDrive.exe", "OneDrive.exe", 3514200, "\"%P\" /background", "explorer.exe",
     ACCOUNT_USER},
    {"git.exe", "C:\\Program Files\\Git\\cmd", "The Git Development Community", "Git", "2.47.1.1", "Git for Windows",
     "git.exe", "git.exe", 47608, "git.exe fetch --quiet --prune origin", "Code.exe", ACCOUNT_USER},
    {"Code.exe", "%U\\AppData\\Local\\Programs\\Microsoft VS Code", MS, "Visual Studio Code", "1.95.3",
     "Visual Studio Code", "electron.exe", "Code", 165115984,
     "\"%P\" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --field-trial-handle=%N",
     "explorer.exe", ACCOUNT_USER},
    {"EXCEL.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", MS, "Microsoft Excel", "16.0.17928.20156",
     "Microsoft Excel", "Excel.exe", "Excel", 65893240,
     "\"%P\" \"%U\\Documents\\Budget-%N.xlsx\"", "explorer.exe", ACCOUNT_USER},
    {"WINWORD.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", MS, "Microsoft Word", "16.0.17928.20156",
     "Microsoft Word", "WinWord.exe", "WinWord", 1637752, "\"%P\" /n \"%U\\Documents\\Report-%N.docx\"",
     "explorer.exe", ACCOUNT_USER},
    {"MpCmdRun.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0", MS, MS_OS,
     "4.18.24090.11", "Microsoft Malware Protection Command Line Utility", "MpCmdRun.exe", "MpCmdRun",
     1556344, "\"%P\" SignatureUpdate -ScheduleJob -RestrictPrivileges", "svchost.exe", ACCOUNT_SYSTEM},
    {"python.exe", "%U\\AppData\\Local\\Programs\\Python\\Python312", "Python Software Foundation", "Python",
     "3.12.7", "Python", "python.exe", "python", 103192, "\"%P\" -m pip list --outdated --format=json",
     "powershell.exe", ACCOUNT_USER},
    {"rundll32.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Windows host process (Rundll32)", "RUNDLL32.EXE",
     "rundll32", 71680, "C:\\Windows\\system32\\rundll32.exe C:\\Windows\\System32\\shell32.dll,SHCreateLocalServerRunDll {%G} -Embedding",
     "svchost.exe", ACCOUNT_USER},
    {"msiexec.exe", SYS32, MS, MS_OS, "5.0.22621.3527", "Windows\xc2\xae installer", "msiexec.exe", "msiexec",
     69632, "C:\\Windows\\system32\\msiexec.exe /V", "services.exe", ACCOUNT_SYSTEM},
    {"CompatTelRunner.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Microsoft Compatibility Telemetry",
     "CompatTelRunner.exe", "CompatTelRunner.exe", 233472,
     "C:\\Windows\\system32\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun -cv:%G.1",
     "svchost.exe", ACCOUNT_SYSTEM},
    {"schtasks.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Task Scheduler Configuration Tool", "schtasks.exe",
     "schtasks.exe", 234496, "schtasks.exe /query /fo CSV /nh", "cmd.exe", ACCOUNT_USER},
    {"whoami.exe", SYS32, MS, MS_OS, "10.0.22621.1", "whoami - displays logged on user information", "whoami.exe",
     "whoami.exe", 81920, "whoami.exe /all", "cmd.exe", ACCOUNT_USER},
    {"net.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Net Command", "net.exe", "net.exe", 57344,
     "net.exe use Z: \\\\fs01\\share-%N /persistent:no", "cmd.exe", ACCOUNT_USER},
    {"reg.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Registry Console Tool", "reg.exe", "reg.exe", 77824,
     "reg.exe query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall /s", "cmd.exe", ACCOUNT_USER},
    {"firefox.exe", "C:\\Program Files\\Mozilla Firefox", "Mozilla Corporation", "Firefox", "133.0",
     "Firefox", "firefox.exe", "Firefox", 679488,
     "\"%P\" -contentproc --channel=%N -childID %N -isForBrowser -prefsLen 31280 -prefMapSize 244658 -parentBuildID 20241121140525 tab",
     "explorer.exe", ACCOUNT_USER},
    {"Zoom.exe", "%U\\AppData\\Roaming\\Zoom\\bin", "Zoom Video Communications, Inc.", "Zoom", "6.2.11.5069",
     "Zoom Meetings", "Zoom.exe", "Zoom", 468352, "\"%P\" \"--action=join&confno=%N\"", "explorer.exe",
     ACCOUNT_USER},
    {"AcroRd32.exe", "C:\\Program Files (x86)\\Adobe\\Acrobat Reader DC\\Reader", "Adobe Inc.",
     "Adobe Acrobat Reader", "24.4.20272.0", "Adobe Acrobat Reader", "AcroRd32.exe", "AcroRd32", 3470496,
     "\"%P\" \"%U\\Downloads\\invoice-%N.pdf\"", "explorer.exe", ACCOUNT_USER},
    {"java.exe", "C:\\Program Files\\Java\\jre-1.8\\bin", "Oracle Corporation", "Java(TM) Platform SE 8",
     "8.0.4310.10", "Java(TM) Platform SE binary", "java.exe", "java", 236168,
     "\"%P\" -Xmx512m -jar C:\\Tools\\inventory\\agent.jar --poll %N", "services.exe", ACCOUNT_LOCAL_SERVICE},
    {"node.exe", "C:\\Program Files\\nodejs", "OpenJS Foundation", "Node.js", "20.18.1", "Node.js JavaScript Runtime",
     "node.exe", "node", 83452312, "\"%P\" C:\\Tools\\build\\index.js --watch", "Code.exe", ACCOUNT_USER},
    {"7zG.exe", "C:\\Program Files\\7-Zip", "Igor Pavlov", "7-Zip", "24.08", "7-Zip GUI", "7zg.exe", "7zg",
     692224, "\"%P\" x -o\"%U\\Downloads\\archive-%N\\\" -spe -an -ai#7zMap%N:58:7zEvent%N", "explorer.exe",
     ACCOUNT_USER},
    {"mstsc.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Remote Desktop Connection", "mstsc.exe", "mstsc.exe",
     1372160, "\"C:\\Windows\\system32\\mstsc.exe\" /v:srv-app-%N", "explorer.exe", ACCOUNT_USER},
    {"notepad.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Notepad", "NOTEPAD.EXE", "Notepad", 201216,
     "\"C:\\Windows\\system32\\NOTEPAD.EXE\" %U\\Desktop\\notes-%N.txt", "explorer.exe", ACCOUNT_USER},
    {"ipconfig.exe", SYS32, MS, MS_OS, "10.0.22621.1", "IP Configuration Utility", "ipconfig.exe", "ipconfig.exe",
     35840, "ipconfig /all", "cmd.exe", ACCOUNT_USER},
    {"tasklist.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Lists the current running tasks", "tasklist.exe",
     "tasklist.exe", 102400, "tasklist /v /fo csv", "cmd.exe", ACCOUNT_USER},
    {"sc.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Service Control Manager Configuration Tool", "sc.exe", "sc.exe",
     69632, "sc.exe query type= service state= all", "cmd.exe", ACCOUNT_USER},
    {"wevtutil.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Eventing Command Line Utility", "wevtutil.exe",
     "wevtutil.exe", 231424, "wevtutil.exe qe Security /c:50 /rd:true /f:text", "cmd.exe", ACCOUNT_USER},
    {"sppsvc.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Microsoft Software Protection Platform Service",
     "sppsvc.exe", "sppsvc", 4728576, "C:\\Windows\\system32\\sppsvc.exe", "services.exe",
     ACCOUNT_NETWORK_SERVICE},
    {"TiWorker.exe", "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4455_none_7a8d9c0e1b5d9b8a",
     MS, MS_OS, "10.0.22621.4455", "Windows Modules Installer Worker", "TiWorker.exe", "TiWorker.exe", 249856,
     "C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4455_none_7a8d9c0e1b5d9b8a\\TiWorker.exe -Embedding",
     "svchost.exe", ACCOUNT_SYSTEM},
    {"explorer.exe", "C:\\Windows", MS, MS_OS, "10.0.22621.3672", "Windows Explorer", "EXPLORER.EXE", "explorer",
     5502976, "C:\\Windows\\Explorer.EXE", "userinit.exe", ACCOUNT_USER},
    {"userinit.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Userinit Logon Application", "USERINIT.EXE", "userinit",
     31744, "C:\\Windows\\system32\\userinit.exe", "winlogon.exe", ACCOUNT_USER},
    {"SearchIndexer.exe", SYS32, MS, MS_OS, "7.0.22621.3527", "Microsoft Windows Search Indexer",
     "SearchIndexer.exe", "SearchIndexer", 1024000, "C:\\Windows\\system32\\SearchIndexer.exe /Embedding",
     "services.exe", ACCOUNT_SYSTEM},
    {"services.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Services and Controller app", "services.exe",
     "services.exe", 753496, "C:\\Windows\\system32\\services.exe", "wininit.exe", ACCOUNT_SYSTEM},
    {"winlogon.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Windows Logon Application", "WINLOGON.EXE", "winlogon",
     913408, "winlogon.exe", "smss.exe", ACCOUNT_SYSTEM},
    {"wininit.exe", SYS32, MS, MS_OS, "10.0.22621.1", "Windows Start-Up Application", "wininit.exe", "wininit",
     443392, "wininit.exe", "smss.exe", ACCOUNT_SYSTEM},
    {"smss.exe", SYS32, MS, MS_OS, "10.0.22621.3527", "Windows Session Manager", "smss.exe", "smss.exe", 155648,
     "\\SystemRoot\\System32\\smss.exe", "smss.exe", ACCOUNT_SYSTEM},
};

#undef MS
#undef MS_OS
#undef SYS32

#endif
