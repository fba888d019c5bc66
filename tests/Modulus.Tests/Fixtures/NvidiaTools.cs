namespace Modulus.Tests.Fixtures;

/// <summary>
/// NVIDIA's own tools that look for an installed driver, built from NVIDIA's sources, in <c>../shared/nvidia-tools/</c>
/// beside the checkout (its README says what they are): <c>nvidia-ctk</c> (the container toolkit's CLI, what the GPU
/// Operator's toolkit runs) and <c>nvidia-validator</c> (the GPU Operator's validator). Tests that need them skip,
/// saying so, where a checkout lacks them.
/// </summary>
public static class NvidiaTools
{
    public static string Directory => Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "nvidia-tools"));

    public static string Ctk => Path.Combine(Directory, "nvidia-ctk");

    public static string Validator => Path.Combine(Directory, "nvidia-validator");

    public static bool Present => File.Exists(Ctk) && File.Exists(Validator);

    public static string MissingReason => $"NVIDIA's tools are not beside this checkout: {Ctk} and {Validator} are needed";
}
