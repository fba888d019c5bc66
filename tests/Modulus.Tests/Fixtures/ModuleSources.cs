namespace Modulus.Tests.Fixtures;

/// <summary>Kernel module sources for tests, beyond the checked-in ones under tests/fixtures/modules.</summary>
public static class ModuleSources
{
    public const string SlowMarker = "modulus-slow-fixture: compiling slowly";

    /// <summary>
    /// A module whose build stays busy for a while (its Kbuild runs `sleep`), so that a test can act while a build
    /// is in progress; it prints <see cref="SlowMarker"/> when it starts.
    /// </summary>
    public static string WriteSlow(string parent)
    {
        var dir = Path.Combine(parent, "slow");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(Repo.Module("hello"), "hello.c"), Path.Combine(dir, "slow.c"));
        File.WriteAllText(Path.Combine(dir, "Kbuild"), $"$(info {SlowMarker})\n$(shell sleep 20)\nobj-m += slow.o\n");
        return dir;
    }

    public static Core.Pipes.BuildSpec Kbuild(string source, string job, string name = "hello") => new()
    {
        Kind = "kbuild", Name = name, Version = "1.0", ModuleType = "open", Arch = Core.Validation.InputValidator.HostArch(),
        Source = source, Job = job,
    };
}
