"""GLSL sources of the three programs: the lit object (colour and coverage), the background and the silhouette."""

# Shading runs per vertex (Gouraud): llvmpipe rasterises on the CPU, where per-pixel lighting cost twice the time of
# the whole draw. Both sides of every surface are shaded; the fragment shader picks the side that faces the camera.
# Schlick's rational form stands in for the Blinn-Phong power, gamma 2 (square / square root) for sRGB.
FRAME_BLOCK = """
layout(std140) uniform Frame {
    mat4 model;
    vec4 window;       // clip-space affine: x' = window.x * x + window.z * w, y' = window.y * y + window.w * w
    vec4 light_pos;    // xyz: spot position (world)
    vec4 light_dir;    // xyz: spot direction (world, unit), w: cos of the inner (full-strength) half-angle
    vec4 light_color;  // rgb: spot colour (linear, times intensity), w: cos of the outer (zero) half-angle
};
uniform mat4 proj;
"""

OBJECT_VS = (
    """
#version 330
"""
    + FRAME_BLOCK
    + """
uniform vec3 ambient;
uniform vec3 fill_dir;
uniform float fill;
uniform float specular;
uniform float shininess;
in vec3 in_pos;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_outside;
out vec3 v_inside;

vec3 shade(vec3 n, vec3 p, vec3 l, vec3 v, float cone, vec3 albedo) {
    float lambert = max(dot(n, l), 0.0);
    float h = max(dot(n, normalize(l + v)), 0.0);
    float spec = lambert > 0.0 ? specular * h / (shininess - shininess * h + h) : 0.0;
    vec3 color = albedo * (ambient + fill * max(dot(n, fill_dir), 0.0));
    color += light_color.rgb * cone * (lambert * albedo + spec);
    return sqrt(clamp(color, 0.0, 1.0));
}

void main() {
    vec4 world = model * vec4(in_pos, 1.0);
    vec3 n = normalize(mat3(model) * in_normal);
    vec3 l = normalize(light_pos.xyz - world.xyz);
    vec3 v = normalize(-world.xyz);
    float cone = smoothstep(light_color.w, light_dir.w, dot(-l, light_dir.xyz));
    v_outside = shade(n, world.xyz, l, v, cone, in_color);
    v_inside = shade(-n, world.xyz, l, v, cone, in_color);
    vec4 clip = proj * world;
    gl_Position = vec4(window.x * clip.x + window.z * clip.w, window.y * clip.y + window.w * clip.w, clip.z, clip.w);
}
"""
)

# The projection flips y, which flips the on-screen winding; with ctx.front_face "cw", front faces show their outside.
OBJECT_FS = """
#version 330
in vec3 v_outside;
in vec3 v_inside;
layout(location = 0) out vec4 f_color;
layout(location = 1) out float f_mask;
void main() {
    f_color = vec4(gl_FrontFacing ? v_outside : v_inside, 1.0);
    f_mask = 1.0;
}
"""

# One triangle that covers the viewport, at the far plane, wound clockwise (front-facing for ctx.front_face "cw");
# texel (x, y) lands on window pixel (x, y).
BACKGROUND_VS = """
#version 330
in vec2 in_pos;
void main() {
    gl_Position = vec4(in_pos, 1.0, 1.0);
}
"""

BACKGROUND_FS = """
#version 330
uniform sampler2D background;
layout(location = 0) out vec4 f_color;
layout(location = 1) out float f_mask;
void main() {
    f_color = texelFetch(background, ivec2(gl_FragCoord.xy), 0);
    f_mask = 0.0;
}
"""

MASK_VS = (
    """
#version 330
"""
    + FRAME_BLOCK
    + """
in vec3 in_pos;
void main() {
    vec4 clip = proj * (model * vec4(in_pos, 1.0));
    gl_Position = vec4(window.x * clip.x + window.z * clip.w, window.y * clip.y + window.w * clip.w, clip.z, clip.w);
}
"""
)

MASK_FS = """
#version 330
out vec4 f_color;
void main() {
    f_color = vec4(1.0);
}
"""
