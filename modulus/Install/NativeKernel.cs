using System.Runtime.InteropServices;

namespace Modulus.Install;

/// <summary>The system calls behind insmod (compressed modules too), rmmod and mknod, so the node needs no kmod tools.</summary>
internal static partial class NativeKernel
{
    private const int O_NONBLOCK = 0x800;
    private const uint S_IFCHR = 0x2000;
    private const int MODULE_INIT_COMPRESSED_FILE = 4;
    private const int EINVAL = 22;
    private const int EOPNOTSUPP = 95;

    /// <summary>
    /// Loads a module file (<c>.ko</c>, <c>.ko.xz</c>, <c>.ko.zst</c>, <c>.ko.gz</c>) with parameters. A compressed one goes
    /// to the kernel as it is (finit_module with MODULE_INIT_COMPRESSED_FILE) only where the kernel says it can
    /// decompress that format; elsewhere (CONFIG_MODULE_DECOMPRESS off, as on Garden Linux 1592 and 1877) modulus
    /// decompresses it and loads the image with init_module, as kmod does. Returns how it was loaded.
    /// </summary>
    /// <param name="sysModule">The kernel's <c>/sys/module</c>, whose <c>compression</c> file names the one format the kernel decompresses.</param>
    public static ModuleLoading LoadModule(string path, string parameters, string sysModule)
    {
        var format = CompressedModule.FormatOf(path);
        if (format is null)
        {
            Finit(path, parameters, 0);
            return new ModuleLoading(null, false, 0);
        }

        var kernelCompression = KernelCompression(sysModule);
        var known = kernelCompression is not null || Directory.Exists(sysModule);
        if (AskKernel(format, kernelCompression, known))
        {
            var errno = TryFinit(path, parameters, MODULE_INIT_COMPRESSED_FILE);
            if (errno == 0)
            {
                return new ModuleLoading(format, true, 0);
            }

            if (!DecompressAfter(errno, known))
            {
                throw Failure(path, errno);
            }
        }

        var image = CompressedModule.Decompress(path, format);
        unsafe
        {
            fixed (byte* start = image)
            {
                var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 105 : 175;
                if (SyscallInit(number, start, (nuint)image.Length, parameters) != 0)
                {
                    throw Failure(path, Marshal.GetLastPInvokeError());
                }
            }
        }

        return new ModuleLoading(format, false, image.Length);
    }

    /// <summary>
    /// Whether a module compressed with <paramref name="format"/> goes to the kernel as it is: where the kernel names that
    /// format in /sys/module/compression (it decompresses only the one it was built for), or where /sys/module could
    /// not be read (<paramref name="known"/> false) and only the kernel can tell.
    /// </summary>
    internal static bool AskKernel(string format, string? kernelCompression, bool known) => kernelCompression == format || !known;

    /// <summary>
    /// Whether a failed compressed finit_module means "decompress it yourself": EOPNOTSUPP is the kernel's answer without
    /// CONFIG_MODULE_DECOMPRESS (kernel/module/internal.h); EINVAL, where nothing was known, that of kernels before 5.17,
    /// which reject the flag. Any other error is the module's own.
    /// </summary>
    internal static bool DecompressAfter(int errno, bool known) => errno == EOPNOTSUPP || (!known && errno == EINVAL);

    /// <summary>The format named in <c>/sys/module/compression</c> (xz, zstd, gzip); null where the kernel has no such file.</summary>
    public static string? KernelCompression(string sysModule)
    {
        var file = Path.Combine(sysModule, "compression");
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Finit(string path, string parameters, int flags)
    {
        var errno = TryFinit(path, parameters, flags);
        if (errno != 0)
        {
            throw Failure(path, errno);
        }
    }

    private static int TryFinit(string path, string parameters, int flags)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 273 : 313;
        return SyscallFinit(number, (int)file.DangerousGetHandle(), parameters, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static IOException Failure(string path, int errno) =>
        new($"loading {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}){Hint(errno)}", errno);

    public static void DeleteModule(string name)
    {
        var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 106 : 176;
        if (SyscallDelete(number, name, O_NONBLOCK) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"unloading {name} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    public static void MakeCharacterDevice(string path, int major, int minor)
    {
        var dev = ((ulong)(major & 0xfff) << 8) | (uint)(minor & 0xff) | ((ulong)(minor & ~0xff) << 12) | ((ulong)(major & ~0xfff) << 32);
        if (MkNod(path, S_IFCHR | 0x1B6, dev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mknod {path} ({major}:{minor}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    private static string Hint(int errno) => errno switch
    {
        1 => "; loading modules needs CAP_SYS_MODULE (a privileged container)",
        8 => "; the module was built for another kernel (check its vermagic)",
        19 => "; no device for this driver (ENODEV)",
        17 => "; it is loaded already",
        _ => string.Empty,
    };

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long SyscallFinit(long number, int fd, string parameters, int flags);

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial long SyscallInit(long number, byte* image, nuint length, string parameters);

    [LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long SyscallDelete(long number, string name, int flags);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkNod(string path, uint mode, ulong dev);
}
