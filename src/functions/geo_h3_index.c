/*
 * H3 cell geometry: the projection between points on the sphere and cells.
 * Each of the icosahedron's 20 faces carries a hexagonal i, j, k lattice
 * centered on the face center, reached by a gnomonic projection. Even
 * resolutions (Class II) align the lattice with the face; odd ones (Class III)
 * turn it by asin(sqrt(3/28)) counterclockwise. Resolution 0 places 122 base
 * cells on the faces, 12 of them pentagons on the icosahedron's vertices.
 *
 * Written for kqlite because Debian (bookworm) packages no H3 library (see
 * docs/geo.md). The tables below are published constants of Uber's H3 library,
 * the same in its versions 3 and 4. They give the face centers, the azimuth of each face's i axis,
 * the face adjacency, the base cell at each resolution 0 lattice position and
 * each base cell's home face.
 */
#include "functions/geo_h3.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define FACE_COUNT 20
#define EPSILON 1e-16
#define SQRT3_2 0.8660254037844386467637231707529361834714
#define SQRT7 2.6457513110645905905016157536392604257102
/* asin(sqrt(3/28)): the turn of a Class III lattice against Class II. */
#define AP7_ROTATION 0.333473172251832115336090755351601070065900389
/* The gnomonic length of a resolution 0 lattice unit. */
#define RES0_UNIT_GNOMONIC 0.38196601125010500003
#define TWO_PI (2.0 * KQ_GEO_PI)

/* Face centers, latitude and longitude in radians. */
static const double face_center_geo[FACE_COUNT][2] = {
    {0.803582649718989942, 1.248397419617396099},    {1.307747883455638156, 2.536945009877921159},
    {1.054751253523952054, -1.347517358900396623},   {0.600191595538186799, -0.450603909469755746},
    {0.491715428198773866, 0.401988202911306943},    {0.172745327415618701, 1.678146885280433686},
    {0.605929321571350690, 2.953923329812411617},    {0.427370518328979641, -1.888876200336285401},
    {-0.079066118549212831, -0.733429513380867741},  {-0.230961644455383637, 0.506495587332349035},
    {0.079066118549212831, 2.408163140208925497},    {0.230961644455383637, -2.635097066257444203},
    {-0.172745327415618701, -1.463445768309359553},  {-0.605929321571350690, -0.187669323777381622},
    {-0.427370518328979641, 1.252716453253507838},   {-0.600191595538186799, 2.690988744120037492},
    {-0.491715428198773866, -2.739604450678486295},  {-0.803582649718989942, -1.893195233972397139},
    {-1.307747883455638156, -0.604647643711872080},  {-1.054751253523952054, 1.794075294689396615},
};

/* The same centers as unit vectors. */
static const double face_center_xyz[FACE_COUNT][3] = {
    {0.2199307791404606, 0.6583691780274996, 0.7198475378926182},
    {-0.2139234834501421, 0.1478171829550703, 0.9656017935214205},
    {0.1092625278784797, -0.4811951572873210, 0.8697775121287253},
    {0.7428567301586791, -0.3593941678278028, 0.5648005936517033},
    {0.8112534709140969, 0.3448953237639384, 0.4721387736413930},
    {-0.1055498149613921, 0.9794457296411413, 0.1718874610009365},
    {-0.8075407579970092, 0.1533552485898818, 0.5695261994882688},
    {-0.2846148069787907, -0.8644080972654206, 0.4144792552473539},
    {0.7405621473854482, -0.6673299564565524, -0.0789837646326737},
    {0.8512303986474293, 0.4722343788582681, -0.2289137388687808},
    {-0.7405621473854481, 0.6673299564565524, 0.0789837646326737},
    {-0.8512303986474292, -0.4722343788582682, 0.2289137388687808},
    {0.1055498149613919, -0.9794457296411413, -0.1718874610009365},
    {0.8075407579970092, -0.1533552485898819, -0.5695261994882688},
    {0.2846148069787908, 0.8644080972654204, -0.4144792552473539},
    {-0.7428567301586791, 0.3593941678278027, -0.5648005936517033},
    {-0.8112534709140971, -0.3448953237639382, -0.4721387736413930},
    {-0.2199307791404607, -0.6583691780274996, -0.7198475378926182},
    {0.2139234834501420, -0.1478171829550704, -0.9656017935214205},
    {-0.1092625278784796, 0.4811951572873210, -0.8697775121287253},
};

/* Azimuth in radians from each face center to the vertex on its Class II i axis. */
static const double face_i_axis_azimuth[FACE_COUNT] = {
    5.619958268523939882, 5.760339081714187279, 0.780213654393430055, 0.430469363979999913,
    6.130269123335111400, 2.692877706530642877, 2.982963003477243874, 3.532912002790141181,
    3.494305004259568154, 3.003214169499538391, 5.930472956509811562, 0.138378484090254847,
    0.448714947059150361, 0.158629650112549365, 5.891865957979238535, 2.711123289609793325,
    3.294508837434268316, 3.804819692245439833, 3.664438879055192436, 2.361378999196363184,
};

/* A face's neighbor across one edge: the lattice of this face maps onto the neighbor's by
 * ccw_rotations 60-degree counterclockwise turns and then a shift of translate resolution 0 units. */
typedef struct face_orientation {
    int face;
    kq_h3_ijk translate;
    int ccw_rotations;
} face_orientation;

/* Edge quadrants of a face, by the two lattice axes that bound them. */
enum { QUADRANT_IJ = 1, QUADRANT_KI = 2, QUADRANT_JK = 3 };

/* For each face: itself, then its neighbors across the IJ, KI and JK edges. */
static const face_orientation face_neighbors[FACE_COUNT][4] = {
    {{0, {0, 0, 0}, 0}, {4, {2, 0, 2}, 1}, {1, {2, 2, 0}, 5}, {5, {0, 2, 2}, 3}},
    {{1, {0, 0, 0}, 0}, {0, {2, 0, 2}, 1}, {2, {2, 2, 0}, 5}, {6, {0, 2, 2}, 3}},
    {{2, {0, 0, 0}, 0}, {1, {2, 0, 2}, 1}, {3, {2, 2, 0}, 5}, {7, {0, 2, 2}, 3}},
    {{3, {0, 0, 0}, 0}, {2, {2, 0, 2}, 1}, {4, {2, 2, 0}, 5}, {8, {0, 2, 2}, 3}},
    {{4, {0, 0, 0}, 0}, {3, {2, 0, 2}, 1}, {0, {2, 2, 0}, 5}, {9, {0, 2, 2}, 3}},
    {{5, {0, 0, 0}, 0}, {10, {2, 2, 0}, 3}, {14, {2, 0, 2}, 3}, {0, {0, 2, 2}, 3}},
    {{6, {0, 0, 0}, 0}, {11, {2, 2, 0}, 3}, {10, {2, 0, 2}, 3}, {1, {0, 2, 2}, 3}},
    {{7, {0, 0, 0}, 0}, {12, {2, 2, 0}, 3}, {11, {2, 0, 2}, 3}, {2, {0, 2, 2}, 3}},
    {{8, {0, 0, 0}, 0}, {13, {2, 2, 0}, 3}, {12, {2, 0, 2}, 3}, {3, {0, 2, 2}, 3}},
    {{9, {0, 0, 0}, 0}, {14, {2, 2, 0}, 3}, {13, {2, 0, 2}, 3}, {4, {0, 2, 2}, 3}},
    {{10, {0, 0, 0}, 0}, {5, {2, 2, 0}, 3}, {6, {2, 0, 2}, 3}, {15, {0, 2, 2}, 3}},
    {{11, {0, 0, 0}, 0}, {6, {2, 2, 0}, 3}, {7, {2, 0, 2}, 3}, {16, {0, 2, 2}, 3}},
    {{12, {0, 0, 0}, 0}, {7, {2, 2, 0}, 3}, {8, {2, 0, 2}, 3}, {17, {0, 2, 2}, 3}},
    {{13, {0, 0, 0}, 0}, {8, {2, 2, 0}, 3}, {9, {2, 0, 2}, 3}, {18, {0, 2, 2}, 3}},
    {{14, {0, 0, 0}, 0}, {9, {2, 2, 0}, 3}, {5, {2, 0, 2}, 3}, {19, {0, 2, 2}, 3}},
    {{15, {0, 0, 0}, 0}, {16, {2, 0, 2}, 1}, {19, {2, 2, 0}, 5}, {10, {0, 2, 2}, 3}},
    {{16, {0, 0, 0}, 0}, {17, {2, 0, 2}, 1}, {15, {2, 2, 0}, 5}, {11, {0, 2, 2}, 3}},
    {{17, {0, 0, 0}, 0}, {18, {2, 0, 2}, 1}, {16, {2, 2, 0}, 5}, {12, {0, 2, 2}, 3}},
    {{18, {0, 0, 0}, 0}, {19, {2, 0, 2}, 1}, {17, {2, 2, 0}, 5}, {13, {0, 2, 2}, 3}},
    {{19, {0, 0, 0}, 0}, {15, {2, 0, 2}, 1}, {18, {2, 2, 0}, 5}, {14, {0, 2, 2}, 3}},
};

/* The base cell at each resolution 0 lattice position of each face, with the 60-degree
 * counterclockwise turns from the face's lattice into the base cell's. Positions have i, j and
 * k from 0 to 2 and are flattened as 9 i + 3 j + k. */
static const unsigned char face_ijk_base_cells[20][27][2] = {
    /* face 0 */ {{16,0}, {18,0}, {24,0}, {33,0}, {30,0}, {32,3}, {49,1}, {48,3}, {50,3}, {8,0}, {5,5}, {10,5}, {22,0}, {16,0}, {18,0}, {41,1}, {33,0}, {30,0}, {4,0}, {0,5}, {2,5}, {15,1}, {8,0}, {5,5}, {31,1}, {22,0}, {16,0}},
    /* face 1 */ {{2,0}, {6,0}, {14,0}, {10,0}, {11,0}, {17,3}, {24,1}, {23,3}, {25,3}, {0,0}, {1,5}, {9,5}, {5,0}, {2,0}, {6,0}, {18,1}, {10,0}, {11,0}, {4,1}, {3,5}, {7,5}, {8,1}, {0,0}, {1,5}, {16,1}, {5,0}, {2,0}},
    /* face 2 */ {{7,0}, {21,0}, {38,0}, {9,0}, {19,0}, {34,3}, {14,1}, {20,3}, {36,3}, {3,0}, {13,5}, {29,5}, {1,0}, {7,0}, {21,0}, {6,1}, {9,0}, {19,0}, {4,2}, {12,5}, {26,5}, {0,1}, {3,0}, {13,5}, {2,1}, {1,0}, {7,0}},
    /* face 3 */ {{26,0}, {42,0}, {58,0}, {29,0}, {43,0}, {62,3}, {38,1}, {47,3}, {64,3}, {12,0}, {28,5}, {44,5}, {13,0}, {26,0}, {42,0}, {21,1}, {29,0}, {43,0}, {4,3}, {15,5}, {31,5}, {3,1}, {12,0}, {28,5}, {7,1}, {13,0}, {26,0}},
    /* face 4 */ {{31,0}, {41,0}, {49,0}, {44,0}, {53,0}, {61,3}, {58,1}, {65,3}, {75,3}, {15,0}, {22,5}, {33,5}, {28,0}, {31,0}, {41,0}, {42,1}, {44,0}, {53,0}, {4,4}, {8,5}, {16,5}, {12,1}, {15,0}, {22,5}, {26,1}, {28,0}, {31,0}},
    /* face 5 */ {{50,0}, {48,0}, {49,3}, {32,0}, {30,3}, {33,3}, {24,3}, {18,3}, {16,3}, {70,0}, {67,0}, {66,3}, {52,3}, {50,0}, {48,0}, {37,3}, {32,0}, {30,3}, {83,0}, {87,3}, {85,3}, {74,3}, {70,0}, {67,0}, {57,1}, {52,3}, {50,0}},
    /* face 6 */ {{25,0}, {23,0}, {24,3}, {17,0}, {11,3}, {10,3}, {14,3}, {6,3}, {2,3}, {45,0}, {39,0}, {37,3}, {35,3}, {25,0}, {23,0}, {27,3}, {17,0}, {11,3}, {63,0}, {59,3}, {57,3}, {56,3}, {45,0}, {39,0}, {46,3}, {35,3}, {25,0}},
    /* face 7 */ {{36,0}, {20,0}, {14,3}, {34,0}, {19,3}, {9,3}, {38,3}, {21,3}, {7,3}, {55,0}, {40,0}, {27,3}, {54,3}, {36,0}, {20,0}, {51,3}, {34,0}, {19,3}, {72,0}, {60,3}, {46,3}, {73,3}, {55,0}, {40,0}, {71,3}, {54,3}, {36,0}},
    /* face 8 */ {{64,0}, {47,0}, {38,3}, {62,0}, {43,3}, {29,3}, {58,3}, {42,3}, {26,3}, {84,0}, {69,0}, {51,3}, {82,3}, {64,0}, {47,0}, {76,3}, {62,0}, {43,3}, {97,0}, {89,3}, {71,3}, {98,3}, {84,0}, {69,0}, {96,3}, {82,3}, {64,0}},
    /* face 9 */ {{75,0}, {65,0}, {58,3}, {61,0}, {53,3}, {44,3}, {49,3}, {41,3}, {31,3}, {94,0}, {86,0}, {76,3}, {81,3}, {75,0}, {65,0}, {66,3}, {61,0}, {53,3}, {107,0}, {104,3}, {96,3}, {101,3}, {94,0}, {86,0}, {85,3}, {81,3}, {75,0}},
    /* face 10 */ {{57,0}, {59,0}, {63,3}, {74,0}, {78,3}, {79,3}, {83,3}, {92,3}, {95,3}, {37,0}, {39,3}, {45,3}, {52,0}, {57,0}, {59,0}, {70,3}, {74,0}, {78,3}, {24,0}, {23,3}, {25,3}, {32,3}, {37,0}, {39,3}, {50,3}, {52,0}, {57,0}},
    /* face 11 */ {{46,0}, {60,0}, {72,3}, {56,0}, {68,3}, {80,3}, {63,3}, {77,3}, {90,3}, {27,0}, {40,3}, {55,3}, {35,0}, {46,0}, {60,0}, {45,3}, {56,0}, {68,3}, {14,0}, {20,3}, {36,3}, {17,3}, {27,0}, {40,3}, {25,3}, {35,0}, {46,0}},
    /* face 12 */ {{71,0}, {89,0}, {97,3}, {73,0}, {91,3}, {103,3}, {72,3}, {88,3}, {105,3}, {51,0}, {69,3}, {84,3}, {54,0}, {71,0}, {89,0}, {55,3}, {73,0}, {91,3}, {38,0}, {47,3}, {64,3}, {34,3}, {51,0}, {69,3}, {36,3}, {54,0}, {71,0}},
    /* face 13 */ {{96,0}, {104,0}, {107,3}, {98,0}, {110,3}, {115,3}, {97,3}, {111,3}, {119,3}, {76,0}, {86,3}, {94,3}, {82,0}, {96,0}, {104,0}, {84,3}, {98,0}, {110,3}, {58,0}, {65,3}, {75,3}, {62,3}, {76,0}, {86,3}, {64,3}, {82,0}, {96,0}},
    /* face 14 */ {{85,0}, {87,0}, {83,3}, {101,0}, {102,3}, {100,3}, {107,3}, {112,3}, {114,3}, {66,0}, {67,3}, {70,3}, {81,0}, {85,0}, {87,0}, {94,3}, {101,0}, {102,3}, {49,0}, {48,3}, {50,3}, {61,3}, {66,0}, {67,3}, {75,3}, {81,0}, {85,0}},
    /* face 15 */ {{95,0}, {92,0}, {83,0}, {79,0}, {78,0}, {74,3}, {63,1}, {59,3}, {57,3}, {109,0}, {108,0}, {100,5}, {93,1}, {95,0}, {92,0}, {77,1}, {79,0}, {78,0}, {117,4}, {118,5}, {114,5}, {106,1}, {109,0}, {108,0}, {90,1}, {93,1}, {95,0}},
    /* face 16 */ {{90,0}, {77,0}, {63,0}, {80,0}, {68,0}, {56,3}, {72,1}, {60,3}, {46,3}, {106,0}, {93,0}, {79,5}, {99,1}, {90,0}, {77,0}, {88,1}, {80,0}, {68,0}, {117,3}, {109,5}, {95,5}, {113,1}, {106,0}, {93,0}, {105,1}, {99,1}, {90,0}},
    /* face 17 */ {{105,0}, {88,0}, {72,0}, {103,0}, {91,0}, {73,3}, {97,1}, {89,3}, {71,3}, {113,0}, {99,0}, {80,5}, {116,1}, {105,0}, {88,0}, {111,1}, {103,0}, {91,0}, {117,2}, {106,5}, {90,5}, {121,1}, {113,0}, {99,0}, {119,1}, {116,1}, {105,0}},
    /* face 18 */ {{119,0}, {111,0}, {97,0}, {115,0}, {110,0}, {98,3}, {107,1}, {104,3}, {96,3}, {121,0}, {116,0}, {103,5}, {120,1}, {119,0}, {111,0}, {112,1}, {115,0}, {110,0}, {117,1}, {113,5}, {105,5}, {118,1}, {121,0}, {116,0}, {114,1}, {120,1}, {119,0}},
    /* face 19 */ {{114,0}, {112,0}, {107,0}, {100,0}, {102,0}, {101,3}, {83,1}, {87,3}, {85,3}, {118,0}, {120,0}, {115,5}, {108,1}, {114,0}, {112,0}, {92,1}, {100,0}, {102,0}, {117,0}, {121,5}, {119,5}, {109,1}, {118,0}, {120,0}, {95,1}, {108,1}, {114,0}},
};
/* Each base cell's home face and lattice position there, whether it is a pentagon, and for a
 * pentagon the faces on which leaving the deleted K sub-sequence turns clockwise (-1: none). */
typedef struct base_cell_home {
    int face;
    kq_h3_ijk home;
    bool pentagon;
    int cw_offset_faces[2];
} base_cell_home;

static const base_cell_home base_cells[KQ_H3_BASE_CELLS] = {
    {1, {1, 0, 0}, 0, {-1, -1}}, {2, {1, 1, 0}, 0, {-1, -1}}, {1, {0, 0, 0}, 0, {-1, -1}}, {2, {1, 0, 0}, 0, {-1, -1}},
    {0, {2, 0, 0}, 1, {-1, -1}}, {1, {1, 1, 0}, 0, {-1, -1}}, {1, {0, 0, 1}, 0, {-1, -1}}, {2, {0, 0, 0}, 0, {-1, -1}},
    {0, {1, 0, 0}, 0, {-1, -1}}, {2, {0, 1, 0}, 0, {-1, -1}}, {1, {0, 1, 0}, 0, {-1, -1}}, {1, {0, 1, 1}, 0, {-1, -1}},
    {3, {1, 0, 0}, 0, {-1, -1}}, {3, {1, 1, 0}, 0, {-1, -1}}, {11, {2, 0, 0}, 1, {2, 6}}, {4, {1, 0, 0}, 0, {-1, -1}},
    {0, {0, 0, 0}, 0, {-1, -1}}, {6, {0, 1, 0}, 0, {-1, -1}}, {0, {0, 0, 1}, 0, {-1, -1}}, {2, {0, 1, 1}, 0, {-1, -1}},
    {7, {0, 0, 1}, 0, {-1, -1}}, {2, {0, 0, 1}, 0, {-1, -1}}, {0, {1, 1, 0}, 0, {-1, -1}}, {6, {0, 0, 1}, 0, {-1, -1}},
    {10, {2, 0, 0}, 1, {1, 5}}, {6, {0, 0, 0}, 0, {-1, -1}}, {3, {0, 0, 0}, 0, {-1, -1}}, {11, {1, 0, 0}, 0, {-1, -1}},
    {4, {1, 1, 0}, 0, {-1, -1}}, {3, {0, 1, 0}, 0, {-1, -1}}, {0, {0, 1, 1}, 0, {-1, -1}}, {4, {0, 0, 0}, 0, {-1, -1}},
    {5, {0, 1, 0}, 0, {-1, -1}}, {0, {0, 1, 0}, 0, {-1, -1}}, {7, {0, 1, 0}, 0, {-1, -1}}, {11, {1, 1, 0}, 0, {-1, -1}},
    {7, {0, 0, 0}, 0, {-1, -1}}, {10, {1, 0, 0}, 0, {-1, -1}}, {12, {2, 0, 0}, 1, {3, 7}}, {6, {1, 0, 1}, 0, {-1, -1}},
    {7, {1, 0, 1}, 0, {-1, -1}}, {4, {0, 0, 1}, 0, {-1, -1}}, {3, {0, 0, 1}, 0, {-1, -1}}, {3, {0, 1, 1}, 0, {-1, -1}},
    {4, {0, 1, 0}, 0, {-1, -1}}, {6, {1, 0, 0}, 0, {-1, -1}}, {11, {0, 0, 0}, 0, {-1, -1}}, {8, {0, 0, 1}, 0, {-1, -1}},
    {5, {0, 0, 1}, 0, {-1, -1}}, {14, {2, 0, 0}, 1, {0, 9}}, {5, {0, 0, 0}, 0, {-1, -1}}, {12, {1, 0, 0}, 0, {-1, -1}},
    {10, {1, 1, 0}, 0, {-1, -1}}, {4, {0, 1, 1}, 0, {-1, -1}}, {12, {1, 1, 0}, 0, {-1, -1}}, {7, {1, 0, 0}, 0, {-1, -1}},
    {11, {0, 1, 0}, 0, {-1, -1}}, {10, {0, 0, 0}, 0, {-1, -1}}, {13, {2, 0, 0}, 1, {4, 8}}, {10, {0, 0, 1}, 0, {-1, -1}},
    {11, {0, 0, 1}, 0, {-1, -1}}, {9, {0, 1, 0}, 0, {-1, -1}}, {8, {0, 1, 0}, 0, {-1, -1}}, {6, {2, 0, 0}, 1, {11, 15}},
    {8, {0, 0, 0}, 0, {-1, -1}}, {9, {0, 0, 1}, 0, {-1, -1}}, {14, {1, 0, 0}, 0, {-1, -1}}, {5, {1, 0, 1}, 0, {-1, -1}},
    {16, {0, 1, 1}, 0, {-1, -1}}, {8, {1, 0, 1}, 0, {-1, -1}}, {5, {1, 0, 0}, 0, {-1, -1}}, {12, {0, 0, 0}, 0, {-1, -1}},
    {7, {2, 0, 0}, 1, {12, 16}}, {12, {0, 1, 0}, 0, {-1, -1}}, {10, {0, 1, 0}, 0, {-1, -1}}, {9, {0, 0, 0}, 0, {-1, -1}},
    {13, {1, 0, 0}, 0, {-1, -1}}, {16, {0, 0, 1}, 0, {-1, -1}}, {15, {0, 1, 1}, 0, {-1, -1}}, {15, {0, 1, 0}, 0, {-1, -1}},
    {16, {0, 1, 0}, 0, {-1, -1}}, {14, {1, 1, 0}, 0, {-1, -1}}, {13, {1, 1, 0}, 0, {-1, -1}}, {5, {2, 0, 0}, 1, {10, 19}},
    {8, {1, 0, 0}, 0, {-1, -1}}, {14, {0, 0, 0}, 0, {-1, -1}}, {9, {1, 0, 1}, 0, {-1, -1}}, {14, {0, 0, 1}, 0, {-1, -1}},
    {17, {0, 0, 1}, 0, {-1, -1}}, {12, {0, 0, 1}, 0, {-1, -1}}, {16, {0, 0, 0}, 0, {-1, -1}}, {17, {0, 1, 1}, 0, {-1, -1}},
    {15, {0, 0, 1}, 0, {-1, -1}}, {16, {1, 0, 1}, 0, {-1, -1}}, {9, {1, 0, 0}, 0, {-1, -1}}, {15, {0, 0, 0}, 0, {-1, -1}},
    {13, {0, 0, 0}, 0, {-1, -1}}, {8, {2, 0, 0}, 1, {13, 17}}, {13, {0, 1, 0}, 0, {-1, -1}}, {17, {1, 0, 1}, 0, {-1, -1}},
    {19, {0, 1, 0}, 0, {-1, -1}}, {14, {0, 1, 0}, 0, {-1, -1}}, {19, {0, 1, 1}, 0, {-1, -1}}, {17, {0, 1, 0}, 0, {-1, -1}},
    {13, {0, 0, 1}, 0, {-1, -1}}, {17, {0, 0, 0}, 0, {-1, -1}}, {16, {1, 0, 0}, 0, {-1, -1}}, {9, {2, 0, 0}, 1, {14, 18}},
    {15, {1, 0, 1}, 0, {-1, -1}}, {15, {1, 0, 0}, 0, {-1, -1}}, {18, {0, 1, 1}, 0, {-1, -1}}, {18, {0, 0, 1}, 0, {-1, -1}},
    {19, {0, 0, 1}, 0, {-1, -1}}, {17, {1, 0, 0}, 0, {-1, -1}}, {19, {0, 0, 0}, 0, {-1, -1}}, {18, {0, 1, 0}, 0, {-1, -1}},
    {18, {1, 0, 1}, 0, {-1, -1}}, {19, {2, 0, 0}, 1, {-1, -1}}, {19, {1, 0, 0}, 0, {-1, -1}}, {18, {0, 0, 0}, 0, {-1, -1}},
    {19, {1, 0, 1}, 0, {-1, -1}}, {18, {1, 0, 0}, 0, {-1, -1}},
};

/* ---- lattice arithmetic ---- */

static kq_h3_ijk ijk_add(kq_h3_ijk a, kq_h3_ijk b)
{
    return (kq_h3_ijk){a.i + b.i, a.j + b.j, a.k + b.k};
}

static kq_h3_ijk ijk_sub(kq_h3_ijk a, kq_h3_ijk b)
{
    return (kq_h3_ijk){a.i - b.i, a.j - b.j, a.k - b.k};
}

static kq_h3_ijk ijk_scale(kq_h3_ijk a, int factor)
{
    return (kq_h3_ijk){a.i * factor, a.j * factor, a.k * factor};
}

void kq_h3_ijk_normalize(kq_h3_ijk *c)
{
    if (c->i < 0) {
        c->j -= c->i;
        c->k -= c->i;
        c->i = 0;
    }
    if (c->j < 0) {
        c->i -= c->j;
        c->k -= c->j;
        c->j = 0;
    }
    if (c->k < 0) {
        c->i -= c->k;
        c->j -= c->k;
        c->k = 0;
    }
    int low = c->i < c->j ? c->i : c->j;
    low = low < c->k ? low : c->k;
    c->i -= low;
    c->j -= low;
    c->k -= low;
}

/* Maps a position through the linear map that sends the unit i, j and k vectors to the three
 * given lattice vectors, then normalizes. */
static kq_h3_ijk ijk_transform(kq_h3_ijk c, kq_h3_ijk image_i, kq_h3_ijk image_j, kq_h3_ijk image_k)
{
    kq_h3_ijk out = ijk_add(ijk_add(ijk_scale(image_i, c.i), ijk_scale(image_j, c.j)), ijk_scale(image_k, c.k));
    kq_h3_ijk_normalize(&out);
    return out;
}

kq_h3_ijk kq_h3_unit_vector(int digit)
{
    static const kq_h3_ijk units[7] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1}, {1, 0, 0}, {1, 0, 1}, {1, 1, 0}};
    return digit >= 0 && digit < 7 ? units[digit] : units[0];
}

int kq_h3_ijk_to_digit(kq_h3_ijk c)
{
    kq_h3_ijk_normalize(&c);
    for (int digit = 0; digit < 7; digit++) {
        kq_h3_ijk unit = kq_h3_unit_vector(digit);
        if (unit.i == c.i && unit.j == c.j && unit.k == c.k)
            return digit;
    }
    return KQ_H3_INVALID_DIGIT;
}

static kq_h3_ijk ijk_rotate60(kq_h3_ijk c, bool ccw)
{
    if (ccw)
        return ijk_transform(c, (kq_h3_ijk){1, 1, 0}, (kq_h3_ijk){0, 1, 1}, (kq_h3_ijk){1, 0, 1});
    return ijk_transform(c, (kq_h3_ijk){1, 0, 1}, (kq_h3_ijk){1, 1, 0}, (kq_h3_ijk){0, 1, 1});
}

kq_h3_ijk kq_h3_ijk_up7(kq_h3_ijk c, bool class3)
{
    int i = c.i - c.k, j = c.j - c.k;
    kq_h3_ijk out;
    if (class3)
        out = (kq_h3_ijk){(int)lround((3 * i - j) / 7.0), (int)lround((i + 2 * j) / 7.0), 0};
    else
        out = (kq_h3_ijk){(int)lround((2 * i + j) / 7.0), (int)lround((3 * j - i) / 7.0), 0};
    kq_h3_ijk_normalize(&out);
    return out;
}

kq_h3_ijk kq_h3_ijk_down7(kq_h3_ijk c, bool class3)
{
    if (class3)
        return ijk_transform(c, (kq_h3_ijk){3, 0, 1}, (kq_h3_ijk){1, 3, 0}, (kq_h3_ijk){0, 1, 3});
    return ijk_transform(c, (kq_h3_ijk){3, 1, 0}, (kq_h3_ijk){0, 3, 1}, (kq_h3_ijk){1, 0, 3});
}

/* One resolution finer on an aperture 3 grid, counterclockwise or clockwise. */
static kq_h3_ijk ijk_down3(kq_h3_ijk c, bool ccw)
{
    if (ccw)
        return ijk_transform(c, (kq_h3_ijk){2, 0, 1}, (kq_h3_ijk){1, 2, 0}, (kq_h3_ijk){0, 1, 2});
    return ijk_transform(c, (kq_h3_ijk){2, 1, 0}, (kq_h3_ijk){0, 2, 1}, (kq_h3_ijk){1, 0, 2});
}

static kq_h3_ijk ijk_neighbor(kq_h3_ijk c, int digit)
{
    kq_h3_ijk out = ijk_add(c, kq_h3_unit_vector(digit));
    kq_h3_ijk_normalize(&out);
    return out;
}

int kq_h3_rotate_digit(int digit, bool ccw)
{
    /* Counterclockwise the directions run K, IK, I, IJ, J, JK. */
    static const int next_ccw[7] = {0, 5, 3, 1, 6, 4, 2};
    static const int next_cw[7] = {0, 3, 6, 2, 5, 1, 4};
    if (digit < 0 || digit > 6)
        return digit;
    return ccw ? next_ccw[digit] : next_cw[digit];
}

/* ---- index digits ---- */

int kq_h3_leading_digit(uint64_t cell)
{
    for (int r = 1; r <= kq_h3_resolution(cell); r++)
        if (kq_h3_digit(cell, r) != 0)
            return kq_h3_digit(cell, r);
    return 0;
}

uint64_t kq_h3_rotate60(uint64_t cell, bool ccw)
{
    for (int r = 1; r <= kq_h3_resolution(cell); r++)
        cell = kq_h3_set_digit(cell, r, kq_h3_rotate_digit(kq_h3_digit(cell, r), ccw));
    return cell;
}

uint64_t kq_h3_rotate_pentagon60(uint64_t cell, bool ccw)
{
    bool seen_nonzero = false;
    for (int r = 1; r <= kq_h3_resolution(cell); r++) {
        cell = kq_h3_set_digit(cell, r, kq_h3_rotate_digit(kq_h3_digit(cell, r), ccw));
        if (!seen_nonzero && kq_h3_digit(cell, r) != 0) {
            seen_nonzero = true;
            /* A pentagon has no K sub-sequence, so turn once more past it. */
            if (kq_h3_leading_digit(cell) == KQ_H3_K)
                cell = kq_h3_rotate60(cell, ccw);
        }
    }
    return cell;
}

bool kq_h3_is_pentagon(uint64_t cell)
{
    return kq_h3_base_is_pentagon(kq_h3_base_cell(cell)) && kq_h3_leading_digit(cell) == 0;
}

int kq_h3_base_home_face(int base)
{
    return base_cells[base].face;
}

bool kq_h3_base_cw_offset(int base, int face)
{
    return base_cells[base].cw_offset_faces[0] == face || base_cells[base].cw_offset_faces[1] == face;
}

static bool is_class3(int resolution)
{
    return resolution % 2 == 1;
}

/* ---- sphere and face plane ---- */

static double positive_angle(double radians)
{
    double out = radians < 0 ? radians + TWO_PI : radians;
    if (radians >= TWO_PI)
        out -= TWO_PI;
    return out;
}

static double constrain_longitude(double lng)
{
    while (lng > KQ_GEO_PI)
        lng -= TWO_PI;
    while (lng < -KQ_GEO_PI)
        lng += TWO_PI;
    return lng;
}

static double azimuth(double lat1, double lng1, double lat2, double lng2)
{
    return atan2(cos(lat2) * sin(lng2 - lng1), cos(lat1) * sin(lat2) - sin(lat1) * cos(lat2) * cos(lng2 - lng1));
}

static double clamp_unit(double x)
{
    if (x > 1.0)
        return 1.0;
    if (x < -1.0)
        return -1.0;
    return x;
}

/* The point at a distance (radians of arc) and azimuth from a start point. */
static void travel(double lat1, double lng1, double az, double distance, double *lat, double *lng)
{
    if (distance < EPSILON) {
        *lat = lat1;
        *lng = lng1;
        return;
    }
    az = positive_angle(az);
    if (az < EPSILON || fabs(az - KQ_GEO_PI) < EPSILON) {
        *lat = az < EPSILON ? lat1 + distance : lat1 - distance;
        *lng = constrain_longitude(lng1);
    } else {
        *lat = asin(clamp_unit(sin(lat1) * cos(distance) + cos(lat1) * sin(distance) * cos(az)));
        double sin_lng = clamp_unit(sin(az) * sin(distance) / cos(*lat));
        double cos_lng = clamp_unit((cos(distance) - sin(lat1) * sin(*lat)) / cos(lat1) / cos(*lat));
        *lng = constrain_longitude(lng1 + atan2(sin_lng, cos_lng));
    }
    if (fabs(*lat - KQ_GEO_PI / 2) < EPSILON || fabs(*lat + KQ_GEO_PI / 2) < EPSILON) {
        *lat = *lat > 0 ? KQ_GEO_PI / 2 : -KQ_GEO_PI / 2;
        *lng = 0;
    }
}

/* Projects a point onto the plane of its nearest face, in units of the resolution's lattice. */
static int geo_to_face_plane(double lat, double lng, int resolution, double *x, double *y)
{
    double px = cos(lng) * cos(lat), py = sin(lng) * cos(lat), pz = sin(lat);
    int face = 0;
    double best = 5.0;
    for (int f = 0; f < FACE_COUNT; f++) {
        double dx = face_center_xyz[f][0] - px, dy = face_center_xyz[f][1] - py, dz = face_center_xyz[f][2] - pz;
        double square = dx * dx + dy * dy + dz * dz;
        if (square < best) {
            best = square;
            face = f;
        }
    }
    /* The chord length c gives the arc r by cos(r) = 1 - c^2 / 2. */
    double r = acos(1 - best / 2);
    if (r < EPSILON) {
        *x = *y = 0;
        return face;
    }
    double theta = positive_angle(face_i_axis_azimuth[face] -
                                  positive_angle(azimuth(face_center_geo[face][0], face_center_geo[face][1], lat, lng)));
    if (is_class3(resolution))
        theta = positive_angle(theta - AP7_ROTATION);
    r = tan(r) / RES0_UNIT_GNOMONIC;
    for (int k = 0; k < resolution; k++)
        r *= SQRT7;
    *x = r * cos(theta);
    *y = r * sin(theta);
    return face;
}

/* The inverse of geo_to_face_plane. On the substrate grid (vertices), units are a third of
 * the Class II lattice unit of the given resolution. */
static void face_plane_to_geo(double x, double y, int face, int resolution, bool substrate, double *lat, double *lng)
{
    double r = hypot(x, y);
    if (r < EPSILON) {
        *lat = face_center_geo[face][0];
        *lng = face_center_geo[face][1];
        return;
    }
    double theta = atan2(y, x);
    for (int k = 0; k < resolution; k++)
        r /= SQRT7;
    if (substrate) {
        r /= 3.0;
        if (is_class3(resolution))
            r /= SQRT7;
    }
    r = atan(r * RES0_UNIT_GNOMONIC);
    if (!substrate && is_class3(resolution))
        theta = positive_angle(theta + AP7_ROTATION);
    theta = positive_angle(face_i_axis_azimuth[face] - theta);
    travel(face_center_geo[face][0], face_center_geo[face][1], theta, r, lat, lng);
}

static void ijk_to_plane(kq_h3_ijk c, double *x, double *y)
{
    int i = c.i - c.k, j = c.j - c.k;
    *x = i - 0.5 * j;
    *y = j * SQRT3_2;
}

/* The lattice cell containing a plane point: fold into the first sextant, pick the nearest
 * lattice point there, then unfold. */
static kq_h3_ijk plane_to_ijk(double x, double y)
{
    double a1 = fabs(x), a2 = fabs(y);
    double x2 = a2 / SQRT3_2, x1 = a1 + x2 / 2.0;
    int m1 = (int)x1, m2 = (int)x2;
    double r1 = x1 - m1, r2 = x2 - m2;
    kq_h3_ijk c = {0, 0, 0};
    if (r1 < 0.5) {
        if (r1 < 1.0 / 3.0) {
            c.i = m1;
            c.j = r2 < (1.0 + r1) / 2.0 ? m2 : m2 + 1;
        } else {
            c.j = r2 < 1.0 - r1 ? m2 : m2 + 1;
            c.i = (1.0 - r1 <= r2 && r2 < 2.0 * r1) ? m1 + 1 : m1;
        }
    } else if (r1 < 2.0 / 3.0) {
        c.j = r2 < 1.0 - r1 ? m2 : m2 + 1;
        c.i = (2.0 * r1 - 1.0 < r2 && r2 < 1.0 - r1) ? m1 : m1 + 1;
    } else {
        c.i = m1 + 1;
        c.j = r2 < r1 / 2.0 ? m2 : m2 + 1;
    }
    if (x < 0.0) {
        if (c.j % 2 == 0)
            c.i -= 2 * (c.i - c.j / 2);
        else
            c.i -= 2 * (c.i - (c.j + 1) / 2) + 1;
    }
    if (y < 0.0) {
        c.i -= (2 * c.j + 1) / 2;
        c.j = -c.j;
    }
    kq_h3_ijk_normalize(&c);
    return c;
}

/* ---- cells ---- */

/* A lattice position on one face. */
typedef struct face_ijk {
    int face;
    kq_h3_ijk coord;
} face_ijk;

static uint64_t new_cell(int resolution, int base)
{
    return (UINT64_C(1) << 59) | ((uint64_t)resolution << 52) | ((uint64_t)base << 45) | UINT64_C(0x1fffffffffff);
}

/* The cell of a lattice position at a resolution, or 0 when the position lies beyond the
 * face's resolution 0 triangle. */
static uint64_t face_ijk_to_cell(face_ijk position, int resolution)
{
    uint64_t cell = new_cell(resolution, 0);
    kq_h3_ijk c = position.coord;
    for (int r = resolution - 1; r >= 0; r--) {
        kq_h3_ijk child = c;
        c = kq_h3_ijk_up7(c, is_class3(r + 1));
        kq_h3_ijk offset = ijk_sub(child, kq_h3_ijk_down7(c, is_class3(r + 1)));
        cell = kq_h3_set_digit(cell, r + 1, kq_h3_ijk_to_digit(offset));
    }
    if (c.i > 2 || c.j > 2 || c.k > 2)
        return 0;
    const unsigned char *entry = face_ijk_base_cells[position.face][9 * c.i + 3 * c.j + c.k];
    int base = entry[0], rotations = entry[1];
    cell = (cell & ~(UINT64_C(127) << 45)) | ((uint64_t)base << 45);
    if (!kq_h3_base_is_pentagon(base)) {
        for (int n = 0; n < rotations; n++)
            cell = kq_h3_rotate60(cell, true);
        return cell;
    }
    /* Leave the deleted K sub-sequence, clockwise on the faces listed as clockwise offsets. */
    if (kq_h3_leading_digit(cell) == KQ_H3_K)
        cell = kq_h3_rotate60(cell, !kq_h3_base_cw_offset(base, position.face));
    for (int n = 0; n < rotations; n++)
        cell = kq_h3_rotate_pentagon60(cell, true);
    return cell;
}

uint64_t kq_h3_from_geo(double lat, double lng, int resolution)
{
    if (!isfinite(lat) || !isfinite(lng) || resolution < 0 || resolution > KQ_H3_MAX_RESOLUTION)
        return 0;
    double x, y;
    face_ijk position;
    position.face = geo_to_face_plane(lat, lng, resolution, &x, &y);
    position.coord = plane_to_ijk(x, y);
    return face_ijk_to_cell(position, resolution);
}

typedef enum { NO_OVERAGE, FACE_EDGE, NEW_FACE } overage_kind;

/* Largest i + j + k on a face at each Class II resolution (index: resolution), and the lattice
 * units of a resolution 0 unit. */
static int max_face_dimension(int resolution)
{
    int dimension = 2;
    for (int r = 0; r < resolution; r += 2)
        dimension *= 7;
    return dimension;
}

static int resolution0_unit(int resolution)
{
    return max_face_dimension(resolution) / 2;
}

/* Moves a Class II position that lies beyond its face's triangle onto the neighboring face.
 * pentagon_leading_4 marks a pentagon cell whose leading digit is 4 (I), whose positions in the
 * KI quadrant need a clockwise turn about the pentagon first. substrate positions are in
 * vertex units (three per lattice unit). */
static overage_kind adjust_overage(face_ijk *position, int resolution, bool pentagon_leading_4, bool substrate)
{
    kq_h3_ijk *c = &position->coord;
    int limit = max_face_dimension(resolution) * (substrate ? 3 : 1);
    int sum = c->i + c->j + c->k;
    if (substrate && sum == limit)
        return FACE_EDGE;
    if (sum <= limit)
        return NO_OVERAGE;
    const face_orientation *orientation;
    if (c->k > 0 && c->j > 0) {
        orientation = &face_neighbors[position->face][QUADRANT_JK];
    } else if (c->k > 0) {
        orientation = &face_neighbors[position->face][QUADRANT_KI];
        if (pentagon_leading_4) {
            kq_h3_ijk origin = {limit, 0, 0};
            *c = ijk_add(ijk_rotate60(ijk_sub(*c, origin), false), origin);
        }
    } else {
        orientation = &face_neighbors[position->face][QUADRANT_IJ];
    }
    position->face = orientation->face;
    for (int n = 0; n < orientation->ccw_rotations; n++)
        *c = ijk_rotate60(*c, true);
    int unit = resolution0_unit(resolution) * (substrate ? 3 : 1);
    *c = ijk_add(*c, ijk_scale(orientation->translate, unit));
    kq_h3_ijk_normalize(c);
    if (substrate && c->i + c->j + c->k == limit)
        return FACE_EDGE;
    return NEW_FACE;
}

/* The lattice position of a valid cell's center on the face where it lies. */
static face_ijk cell_to_face_ijk(uint64_t cell)
{
    int base = kq_h3_base_cell(cell), resolution = kq_h3_resolution(cell);
    bool pentagon = kq_h3_base_is_pentagon(base);
    if (pentagon && kq_h3_leading_digit(cell) == KQ_H3_IK)
        cell = kq_h3_rotate60(cell, false);
    face_ijk position = {base_cells[base].face, base_cells[base].home};
    kq_h3_ijk home = position.coord;
    for (int r = 1; r <= resolution; r++) {
        position.coord = kq_h3_ijk_down7(position.coord, is_class3(r));
        position.coord = ijk_neighbor(position.coord, kq_h3_digit(cell, r));
    }
    /* The descendants of a hexagon base cell centered on its face stay on that face. */
    if (!pentagon && (resolution == 0 || (home.i == 0 && home.j == 0 && home.k == 0)))
        return position;
    kq_h3_ijk original = position.coord;
    int class2_resolution = resolution;
    if (is_class3(resolution)) {
        position.coord = kq_h3_ijk_down7(position.coord, false);
        class2_resolution++;
    }
    bool leading_4 = pentagon && kq_h3_leading_digit(cell) == KQ_H3_I;
    if (adjust_overage(&position, class2_resolution, leading_4, false) != NO_OVERAGE) {
        if (pentagon)
            while (adjust_overage(&position, class2_resolution, false, false) != NO_OVERAGE)
                ;
        if (class2_resolution != resolution)
            position.coord = kq_h3_ijk_up7(position.coord, false);
    } else if (class2_resolution != resolution) {
        position.coord = original;
    }
    return position;
}

void kq_h3_to_geo(uint64_t cell, double *lat, double *lng)
{
    face_ijk position = cell_to_face_ijk(cell);
    double x, y;
    ijk_to_plane(position.coord, &x, &y);
    face_plane_to_geo(x, y, position.face, kq_h3_resolution(cell), false, lat, lng);
}

/* ---- cell boundaries ---- */

/* Vertices of the cell at the lattice origin on the substrate grid, counterclockwise from the
 * i axis. A Class II cell's vertices come from an aperture 3 step and its reverse. A Class III
 * cell needs a further clockwise aperture 7 step to reach the next Class II grid. */
static const kq_h3_ijk class2_vertices[6] = {{2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {0, 1, 2}, {1, 0, 2}, {2, 0, 1}};
static const kq_h3_ijk class3_vertices[6] = {{5, 4, 0}, {1, 5, 0}, {0, 5, 4}, {0, 1, 5}, {4, 0, 5}, {5, 0, 1}};

/* Fills the substrate positions of a cell's vertices; *resolution becomes the substrate's
 * Class II resolution and *center the cell center in substrate units. */
static void cell_vertices(face_ijk *center, int *resolution, int count, face_ijk vertices[6])
{
    const kq_h3_ijk *offsets = is_class3(*resolution) ? class3_vertices : class2_vertices;
    center->coord = ijk_down3(ijk_down3(center->coord, true), false);
    if (is_class3(*resolution)) {
        center->coord = kq_h3_ijk_down7(center->coord, false);
        (*resolution)++;
    }
    for (int v = 0; v < count; v++) {
        vertices[v].face = center->face;
        vertices[v].coord = ijk_add(center->coord, offsets[v]);
        kq_h3_ijk_normalize(&vertices[v].coord);
    }
}

/* Where the segment p0-p1 crosses the line through p2 and p3, in the face plane. */
static void plane_intersection(const double p0[2], const double p1[2], const double p2[2], const double p3[2],
                               double out[2])
{
    double s1x = p1[0] - p0[0], s1y = p1[1] - p0[1];
    double s2x = p3[0] - p2[0], s2y = p3[1] - p2[1];
    double t = (s2x * (p0[1] - p2[1]) - s2y * (p0[0] - p2[0])) / (-s2x * s1y + s1x * s2y);
    out[0] = p0[0] + t * s1x;
    out[1] = p0[1] + t * s1y;
}

/* The two corners, in the face plane of a substrate resolution, of the face edge on the side
 * of the given neighboring face. */
static void face_edge(int face, int neighbor, int resolution, double edge0[2], double edge1[2])
{
    double dimension = max_face_dimension(resolution);
    const double corners[3][2] = {{3.0 * dimension, 0.0},
                                  {-1.5 * dimension, 3.0 * SQRT3_2 * dimension},
                                  {-1.5 * dimension, -3.0 * SQRT3_2 * dimension}};
    int first = 2, second = 0; /* the KI edge */
    if (face_neighbors[face][QUADRANT_IJ].face == neighbor) {
        first = 0;
        second = 1;
    } else if (face_neighbors[face][QUADRANT_JK].face == neighbor) {
        first = 1;
        second = 2;
    }
    edge0[0] = corners[first][0];
    edge0[1] = corners[first][1];
    edge1[0] = corners[second][0];
    edge1[1] = corners[second][1];
}

/* The quadrant of a face that borders another face, or -1. */
static int neighbor_quadrant(int face, int neighbor)
{
    for (int q = QUADRANT_IJ; q <= QUADRANT_JK; q++)
        if (face_neighbors[face][q].face == neighbor)
            return q;
    return -1;
}

static bool nearly_same(const double a[2], const double b[2])
{
    return fabs(a[0] - b[0]) < FLT_EPSILON && fabs(a[1] - b[1]) < FLT_EPSILON;
}

typedef struct boundary {
    double *lat, *lng;
    int count;
} boundary;

/* The most vertices a cell has, those of a Class III pentagon: 5 corners and 5 face edge
 * crossings. The check guards the caller's arrays should another cell ever produce more. */
#define MAX_BOUNDARY_VERTICES 10

static void boundary_add(boundary *out, const double point[2], int face, int resolution)
{
    if (out->count >= MAX_BOUNDARY_VERTICES)
        return;
    face_plane_to_geo(point[0], point[1], face, resolution, true, &out->lat[out->count], &out->lng[out->count]);
    out->count++;
}

/* A hexagon's vertices. Each face is its own projection plane, so where an edge of a Class III
 * cell crosses a face edge, the crossing point becomes an extra vertex. */
static void hexagon_boundary(face_ijk center, int resolution, boundary *out)
{
    int substrate = resolution;
    face_ijk vertices[6];
    cell_vertices(&center, &substrate, 6, vertices);
    int last_face = -1;
    overage_kind last_overage = NO_OVERAGE;
    for (int n = 0; n <= 6; n++) {
        int v = n % 6;
        face_ijk vertex = vertices[v];
        overage_kind overage = adjust_overage(&vertex, substrate, false, true);
        if (is_class3(resolution) && n > 0 && vertex.face != last_face && last_overage != FACE_EDGE) {
            double p0[2], p1[2], edge0[2], edge1[2], crossing[2];
            ijk_to_plane(vertices[(v + 5) % 6].coord, &p0[0], &p0[1]);
            ijk_to_plane(vertices[v].coord, &p1[0], &p1[1]);
            int other = last_face == center.face ? vertex.face : last_face;
            face_edge(center.face, other, substrate, edge0, edge1);
            plane_intersection(p0, p1, edge0, edge1, crossing);
            if (!nearly_same(p0, crossing) && !nearly_same(p1, crossing))
                boundary_add(out, crossing, center.face, substrate);
        }
        if (n < 6) {
            double p[2];
            ijk_to_plane(vertex.coord, &p[0], &p[1]);
            boundary_add(out, p, vertex.face, substrate);
        }
        last_face = vertex.face;
        last_overage = overage;
    }
}

/* A pentagon's vertices. Every edge of a Class III pentagon crosses a face edge. */
static void pentagon_boundary(face_ijk center, int resolution, boundary *out)
{
    int substrate = resolution;
    face_ijk vertices[6];
    cell_vertices(&center, &substrate, 5, vertices);
    face_ijk last = {0, {0, 0, 0}};
    for (int n = 0; n <= 5; n++) {
        face_ijk vertex = vertices[n % 5];
        while (adjust_overage(&vertex, substrate, false, true) == NEW_FACE)
            ;
        int quadrant = neighbor_quadrant(vertex.face, last.face);
        if (is_class3(resolution) && n > 0 && quadrant > 0) {
            /* Express the vertex on the previous vertex's face, then cross the shared edge. */
            const face_orientation *orientation = &face_neighbors[vertex.face][quadrant];
            face_ijk moved = {orientation->face, vertex.coord};
            for (int k = 0; k < orientation->ccw_rotations; k++)
                moved.coord = ijk_rotate60(moved.coord, true);
            moved.coord = ijk_add(moved.coord, ijk_scale(orientation->translate, resolution0_unit(substrate) * 3));
            kq_h3_ijk_normalize(&moved.coord);
            double p0[2], p1[2], edge0[2], edge1[2], crossing[2];
            ijk_to_plane(last.coord, &p0[0], &p0[1]);
            ijk_to_plane(moved.coord, &p1[0], &p1[1]);
            face_edge(moved.face, vertex.face, substrate, edge0, edge1);
            plane_intersection(p0, p1, edge0, edge1, crossing);
            boundary_add(out, crossing, moved.face, substrate);
        }
        if (n < 5) {
            double p[2];
            ijk_to_plane(vertex.coord, &p[0], &p[1]);
            boundary_add(out, p, vertex.face, substrate);
        }
        last = vertex;
    }
}

int kq_h3_boundary(uint64_t cell, double lat[10], double lng[10])
{
    boundary out = {lat, lng, 0};
    face_ijk center = cell_to_face_ijk(cell);
    if (kq_h3_is_pentagon(cell))
        pentagon_boundary(center, kq_h3_resolution(cell), &out);
    else
        hexagon_boundary(center, kq_h3_resolution(cell), &out);
    return out.count;
}

/* ---- KQL functions ---- */

#define DEGREES (180.0 / KQ_GEO_PI)
/* Kusto's resolution when the argument is left out. */
#define DEFAULT_RESOLUTION 6

kq_value kq_geo_point_to_h3cell(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_geo_coord point;
    int64_t resolution = DEFAULT_RESOLUTION;
    if (argc > 2 && !kq_dynfn_int_arg(&args[2], &resolution))
        return kq_string("", 0);
    if (!kq_geo_real_arg(ctx, &args[0], &point.lng) || !kq_geo_real_arg(ctx, &args[1], &point.lat) ||
        !kq_geo_coord_valid(point.lng, point.lat) || resolution < 0 || resolution > KQ_H3_MAX_RESOLUTION)
        return kq_string("", 0);
    uint64_t cell = kq_h3_from_geo(point.lat / DEGREES, point.lng / DEGREES, (int)resolution);
    if (cell == 0)
        return kq_string("", 0);
    char text[17];
    kq_h3_token(cell, text);
    return kq_string(kq_arena_strdup(ctx->arena, text), strlen(text));
}

kq_value kq_geo_h3cell_to_central_point(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    double lat, lng;
    kq_h3_to_geo(cell, &lat, &lng);
    kq_geo_coord center = {lng * DEGREES, lat * DEGREES};
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Point", kq_geo_coord_dyn(ctx->arena, center)));
}

/* The cell's vertices in H3's counterclockwise order, closed, as a GeoJSON Polygon. */
kq_value kq_geo_h3cell_to_polygon(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    (void)argc;
    uint64_t cell;
    if (!kq_h3_cell_arg(&args[0], &cell))
        return kq_null(KQ_DYNAMIC);
    double lat[10], lng[10];
    int count = kq_h3_boundary(cell, lat, lng);
    kq_geo_coord ring[10];
    for (int k = 0; k < count; k++)
        ring[k] = (kq_geo_coord){lng[k] * DEGREES, lat[k] * DEGREES};
    const kq_dyn *path = kq_geo_path_dyn(ctx->arena, ring, (uint32_t)count, true);
    return kq_dynamic(kq_geo_shape_dyn(ctx->arena, "Polygon", kq_dyn_array(ctx->arena, &path, 1)));
}
