using System.Runtime.InteropServices;

namespace Modulus.Core.Processes;

public static partial class NativeSignals
{
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
