# Fallback build with node-gyp (cmake-js is the primary one): the same sources, split the same way.
# Per-ISA files go into static libraries with their own flags, inside target_arch conditions, so the
# rest stays baseline and the binary picks its kernels at run time.
{
  "variables": { "npuq_cflags": ["-std=c++17", "-O3", "-ffp-contract=off", "-fexceptions", "-Wall", "-Wno-unused-parameter"] },
  "targets": [
    {
      "target_name": "npuq_avx2",
      "type": "static_library",
      "conditions": [["target_arch=='x64'", { "sources": ["<!@(node scripts/gyp-sources.js avx2)"] }]],
      "include_dirs": ["native/include", "native"],
      "defines": ["NPUQ_HAVE_AVX2=1"],
      "cflags_cc": ["<@(npuq_cflags)", "-mavx2", "-mfma", "-mf16c"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    },
    {
      "target_name": "npuq_neon",
      "type": "static_library",
      "conditions": [["target_arch=='arm64'", { "sources": ["<!@(node scripts/gyp-sources.js neon)"] }]],
      "include_dirs": ["native/include", "native"],
      "defines": ["NPUQ_HAVE_NEON=1", "NPUQ_HAVE_NEONDOT=1"],
      "cflags_cc": ["<@(npuq_cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    },
    {
      "target_name": "npuq_neondot",
      "type": "static_library",
      "conditions": [["target_arch=='arm64'", { "sources": ["<!@(node scripts/gyp-sources.js neondot)"] }]],
      "include_dirs": ["native/include", "native"],
      "defines": ["NPUQ_HAVE_NEON=1", "NPUQ_HAVE_NEONDOT=1"],
      "cflags_cc": ["<@(npuq_cflags)", "-march=armv8.2-a+dotprod"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    },
    {
      "target_name": "npuquant",
      "sources": ["<!@(node scripts/gyp-sources.js base)", "<!@(node scripts/gyp-sources.js binding)"],
      "dependencies": ["npuq_avx2", "npuq_neon", "npuq_neondot"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/include", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "conditions": [
        ["target_arch=='x64'", { "defines": ["NPUQ_HAVE_AVX2=1"] }],
        ["target_arch=='arm64'", { "defines": ["NPUQ_HAVE_NEON=1", "NPUQ_HAVE_NEONDOT=1"] }]
      ],
      "cflags_cc": ["<@(npuq_cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}
