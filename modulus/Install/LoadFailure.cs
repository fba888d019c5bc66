using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Native;

namespace Modulus.Install;

/// <summary>What a failed module load means, in the kernel's own words (its log since the install began).</summary>
internal static class LoadFailure
{
    /// <summary>ENODEV from nvidia means the node has no GPU the driver can drive; EKEYREJECTED/ENOKEY, a signature the kernel does not trust.</summary>
    public static ModulusException Explain(string name, string path, IOException e, IReadOnlyList<string> said, Manifest? manifest)
    {
        var nvrm = said.Where(l => l.StartsWith("NVRM:", StringComparison.Ordinal)).ToList();
        var relevant = said.Where(l => l.StartsWith("NVRM:", StringComparison.Ordinal) || l.Contains(name, StringComparison.Ordinal) ||
            l.Contains(name.Replace('_', '-'), StringComparison.Ordinal) || l.Contains("Unknown symbol", StringComparison.Ordinal) ||
            l.Contains("is rejected", StringComparison.Ordinal)).TakeLast(12).ToList();
        var kernelSays = said.Count == 0
            ? " The kernel log could not be read here; see dmesg on the node."
            : relevant.Count == 0 ? $" The kernel log says: {string.Join(" | ", said.TakeLast(5))}" : $" The kernel log says: {string.Join(" | ", relevant)}";
        if (name == NvidiaModules.Nvidia && e.HResult == Errno.ENODEV)
        {
            return new ModulusException(
                $"no NVIDIA GPU was found: the kernel refused {Path.GetFileName(path)} with ENODEV (errno 19).{(nvrm.Count > 0 ? " The kernel says: " + string.Join(" | ", nvrm) : kernelSays)} " +
                "Run the installer only on GPU nodes (check the node pool's nodeAffinity), and check that the GPU is attached and visible (lspci -d 10de:).");
        }

        if (e.HResult is Errno.EKEYREJECTED or Errno.ENOKEY && manifest is not null)
        {
            var signed = manifest.Build.ModuleSigner is { } signer ? $"it is signed by {signer}, which this kernel does not trust" : "it is not signed";
            return new ModulusException(
                $"the kernel refused {Path.GetFileName(path)} ({e.Message}): it loads only modules signed by a key it trusts (module.sig_enforce=1, or Secure Boot lockdown), and {signed}.{kernelSays} " +
                "Sign the modules at compile time (compile --module-signing-key/--module-signing-cert, chart moduleSigning.secret) with a certificate this kernel trusts for modules: " +
                "one built into the kernel (CONFIG_SYSTEM_TRUSTED_KEYS) or, where the node boots through shim, a MOK. On Garden Linux (systemd-boot, no shim) keys in the firmware's db do not count for modules (docs/install.md \"Secure Boot on Garden Linux\").");
        }

        var what = manifest is null
            ? $"the in-tree module {name} from {path}"
            : $"{name} of {manifest.Key}, built for '{manifest.Modules.First(m => m.Name == name).Vermagic.Trim()}'";
        return new ModulusException($"{e.Message}: loading {what} failed.{kernelSays}");
    }
}
