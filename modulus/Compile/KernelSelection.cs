using Modulus.Core.Errors;
using Modulus.Core.Pipes;

namespace Modulus.Compile;

/// <summary>
/// Which of dev-builder's kernels one compile builds: the one <c>--kernel-version</c> names, else every kernel of the
/// requested architecture whose headers it has (a kmodbuild image holds two or three), narrowed by
/// <c>--kernel-flavours</c>.
/// </summary>
internal static class KernelSelection
{
    public static IReadOnlyList<string> Choose(string? requested, IReadOnlyList<string>? flavours, string arch, ReadyInfo ready)
    {
        var all = ready.Kernels;
        var available = all.Count == 0 ? "none" : string.Join(", ", all.Select(Describe));
        if (requested is not null)
        {
            var kernel = all.FirstOrDefault(k => k.Release == requested)
                ?? throw new InvalidInputException($"--kernel-version {requested}: dev-builder has no headers for it; it has: {available}. Use the kmodbuild image of the node's Garden Linux version.");
            return kernel.Arch is { } headersArch && headersArch != arch
                ? throw new InvalidInputException($"--kernel-version {requested}: its headers build {headersArch} modules, not {arch}; pass --arch {headersArch}")
                : [requested];
        }

        if (all.Count == 0)
        {
            throw new InvalidInputException("dev-builder has no kernel headers at all (/usr/src/linux-headers-*, /lib/modules/*/build); use the kmodbuild image, or install the headers");
        }

        var ofArch = all.Where(k => k.Arch is null || k.Arch == arch).ToList();
        if (ofArch.Count == 0)
        {
            throw new InvalidInputException($"dev-builder has no headers of {arch} kernels (--arch {arch}); it has: {available}. Use the kmodbuild image of arch {arch}, or pass the --arch of its kernels.");
        }

        if (flavours is null)
        {
            return [.. ofArch.Select(k => k.Release)];
        }

        var missing = flavours.Where(f => !ofArch.Any(k => KernelFlavours.Of(k.Release) == f)).ToList();
        return missing.Count > 0
            ? throw new InvalidInputException($"--kernel-flavours {string.Join(',', flavours)}: dev-builder has no {string.Join(" or ", missing)} kernel of {arch}; it has: {string.Join(", ", ofArch.Select(Describe))}")
            : [.. ofArch.Where(k => flavours.Contains(KernelFlavours.Of(k.Release))).Select(k => k.Release)];
    }

    private static string Describe(KernelHeaders kernel) => $"{kernel.Release} ({KernelFlavours.Of(kernel.Release)}{(kernel.Arch is { } a ? ", " + a : string.Empty)})";
}
