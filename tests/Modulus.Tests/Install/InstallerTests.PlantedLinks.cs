using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// The host cache is a hostPath other pods may write: links planted in it (issue 22's red team) must never turn
/// install's cleanup or fetch into a delete or a write outside it.
/// </summary>
public sealed partial class InstallerTests
{
    /// <summary>A host directory a planted link points at, with content that must survive.</summary>
    private string Victim()
    {
        var victim = dir.Combine("victim");
        Directory.CreateDirectory(Path.Combine(victim, "precious", "deeper"));
        File.WriteAllText(Path.Combine(victim, "precious", "deeper", "data"), "keep me");
        File.WriteAllText(Path.Combine(victim, "top"), "keep me too");
        return victim;
    }

    private void AssertVictimIntact(string victim)
    {
        File.ReadAllText(Path.Combine(victim, "precious", "deeper", "data")).Should().Be("keep me");
        File.ReadAllText(Path.Combine(victim, "top")).Should().Be("keep me too");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Pruning_never_reaches_through_a_link_planted_at_the_kernel_level_of_the_cache()
    {
        var victim = Victim();
        await PublishAsync("999.1.2");
        Directory.CreateDirectory(Path.Combine(Cache, "1877.3"));
        File.CreateSymbolicLink(Path.Combine(Cache, "1877.3", "planted"), victim);

        await Installer().InstallAsync(Request() with { KeepCacheEntries = 0 }, CancellationToken.None);

        AssertVictimIntact(victim);
        new FileInfo(Path.Combine(Cache, "1877.3", "planted")).LinkTarget.Should().Be(victim, "it is no cache entry, so pruning does not touch it either");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_staging_directory_that_is_a_link_is_removed_as_a_link_and_its_target_kept()
    {
        var victim = Victim();
        await PublishAsync("999.1.2");
        Directory.CreateDirectory(Cache);
        File.CreateSymbolicLink(Path.Combine(Cache, ".staging"), victim);

        var outcome = await Installer().InstallAsync(Request(), CancellationToken.None);

        AssertVictimIntact(victim);
        outcome.Steps.Should().Contain(s => s.StartsWith($"remove the symbolic link {Path.Combine(Cache, ".staging")} (to {victim}) from the cache", StringComparison.Ordinal));
        File.Exists(Path.Combine(Cache, "1877.3", Kernel, "nvidia-999.1.2-open-amd64", "manifest.json")).Should().BeTrue("the install went on");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_link_in_place_of_the_garden_linux_level_is_not_fetched_through()
    {
        var victim = Victim();
        await PublishAsync("999.1.2");
        Directory.CreateDirectory(Cache);
        File.CreateSymbolicLink(Path.Combine(Cache, "1877.3"), victim);

        await Installer().InstallAsync(Request(), CancellationToken.None);

        AssertVictimIntact(victim);
        Directory.EnumerateFileSystemEntries(victim).Select(Path.GetFileName).Should().BeEquivalentTo(["precious", "top"], "nothing was written into the link's target");
        new DirectoryInfo(Path.Combine(Cache, "1877.3")).LinkTarget.Should().BeNull("the planted link was replaced by the cache's own directory");
        File.Exists(Path.Combine(Cache, "1877.3", Kernel, "nvidia-999.1.2-open-amd64", "manifest.json")).Should().BeTrue();
    }
}
