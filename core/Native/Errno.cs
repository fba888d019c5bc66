using System.Runtime.InteropServices;

namespace Modulus.Core.Native;

/// <summary>The errno values Modulus tells apart (Linux, the same on x86_64 and arm64), in one place.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int ENOEXEC = 8;
    public const int EAGAIN = 11;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EPIPE = 32;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int EOPNOTSUPP = 95;
    public const int EDQUOT = 122;
    public const int ENOKEY = 126;
    public const int EKEYREJECTED = 129;

    /// <summary>"No such device (errno 19)", for messages.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";
}
