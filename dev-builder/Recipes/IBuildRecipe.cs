namespace Modulus.DevBuilder.Recipes;

/// <summary>One way to turn a driver source into an artifact directory (bin/, lib/, lib/modules/&lt;kernel&gt;/, firmware/).</summary>
internal interface IBuildRecipe
{
    /// <summary>The <c>--driver-kind</c> this recipe serves.</summary>
    string Kind { get; }

    Task BuildAsync(BuildContext context, CancellationToken cancellationToken);
}
