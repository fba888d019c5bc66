using Modulus.Commands;
using Modulus.Core.Native;

ProcessUmask.SetDefault();
return await ModulusCli.InvokeAsync(args, Environment.GetEnvironmentVariable);
