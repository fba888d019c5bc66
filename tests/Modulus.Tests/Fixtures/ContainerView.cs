using System.Text;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// What a privileged container of a pod sees, without a container engine: a private mount namespace
/// (<c>unshare --mount</c>, so every mount vanishes with its last process, however the test ends) whose root is a
/// tmpfs holding this machine's <c>/usr</c>, <c>/bin</c>, <c>/lib</c>… read-only (standing in for the image),
/// <c>/proc</c> and <c>/sys</c>, and the pod's volumes; the program runs there through <c>chroot</c> with only the
/// environment it is given. A volume's host path is given as the kubelet's is, but it is resolved inside the view,
/// through the host root mounted at <see cref="HostRoot"/>: a link in it that only works where the host root is
/// <c>/</c> (an absolute one) does not resolve, as it would not for a component that sees the host at <c>/host</c>.
/// Needs root (mount, chroot).
/// </summary>
public sealed class ContainerView
{
    /// <summary>Where the GPU Operator's pods mount the host root (read-only), and where this view mounts it.</summary>
    public const string HostRoot = "/host";

    private static readonly string[] Image = ["usr", "bin", "sbin", "lib", "lib64", "etc"];
    private readonly string hostRoot;
    private readonly List<string> mounts = [];

    /// <param name="hostRoot">The directory that is the node's root file system in this test.</param>
    public ContainerView(string hostRoot) => this.hostRoot = Path.GetFullPath(hostRoot);

    /// <summary>A hostPath volume: <paramref name="hostPath"/> on the node (resolved through the view's host root) at <paramref name="mountPath"/>.</summary>
    public ContainerView HostPath(string hostPath, string mountPath, bool readOnly = false)
    {
        mounts.Add(Bind("\"$root\"" + HostRoot + Quote(hostPath), mountPath, readOnly));
        return this;
    }

    /// <summary>A directory of this machine (a secret, an emptyDir, the tools under test) at <paramref name="mountPath"/>.</summary>
    public ContainerView Directory(string directory, string mountPath, bool readOnly = false)
    {
        mounts.Add(Bind(Quote(Path.GetFullPath(directory)), mountPath, readOnly));
        return this;
    }

    /// <summary>Runs <paramref name="program"/> (a path inside the view) with exactly <paramref name="environment"/>.</summary>
    public async Task<(int ExitCode, ChildProcess Process)> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("ContainerView needs root (it mounts in a private mount namespace and chroots), as the GPU Operator's privileged pods have");
        }

        using var scratch = new TempDirectory("modulus-view-");
        var script = new StringBuilder("""
            set -eu
            root=$1
            mount -t tmpfs -o mode=0755 view "$root"

            """);
        foreach (var dir in Image.Where(d => System.IO.Directory.Exists("/" + d) || File.Exists("/" + d)))
        {
            var link = new FileInfo("/" + dir).LinkTarget;
            script.AppendLine(link is not null
                ? $"ln -s {Quote(link)} \"$root\"/{dir}"
                : $"mkdir \"$root\"/{dir} && mount --rbind /{dir} \"$root\"/{dir} && mount -o remount,bind,ro \"$root\"/{dir}");
        }

        script.AppendLine("""
            mkdir -p "$root"/proc "$root"/sys "$root"/tmp "$root"/host
            mount --rbind /proc "$root"/proc
            mount --rbind /sys "$root"/sys
            """);
        script.AppendLine($"mount --rbind {Quote(hostRoot)} \"$root\"{HostRoot} && mount -o remount,bind,ro \"$root\"{HostRoot}");
        script.AppendLine("mkdir -p \"$root\"/dev && mount --rbind \"$root\"/host/dev \"$root\"/dev");
        foreach (var mount in mounts)
        {
            script.AppendLine(mount);
        }

        var env = environment.Select(e => Quote($"{e.Key}={e.Value}"));
        script.AppendLine($"exec chroot \"$root\" /usr/bin/env -i {string.Join(' ', env)} {Quote(program)} {string.Join(' ', arguments.Select(Quote))}");
        var file = scratch.Combine("view.sh");
        await File.WriteAllTextAsync(file, script.ToString());
        System.IO.Directory.CreateDirectory(scratch.Combine("root"));
        return await ChildProcess.RunAsync("unshare", ["--mount", "--propagation", "private", "sh", file, scratch.Combine("root")], timeout: timeout);
    }

    private static string Bind(string source, string mountPath, bool readOnly)
    {
        var target = "\"$root\"" + Quote(mountPath);
        return $"mkdir -p {target} && mount --bind {source} {target}" + (readOnly ? $" && mount -o remount,bind,ro {target}" : string.Empty);
    }

    /// <summary>A single-quoted shell word.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
