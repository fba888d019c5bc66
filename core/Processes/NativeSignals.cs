using System.Runtime.InteropServices;

namespace Modulus.Core.Processes;

public static partial class NativeSignals
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    /// <summary>The parent's pid: 1 (or a subreaper's) once the parent is gone.</summary>
    public static int ParentPid() => GetParentPid();

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
