"""Name pools of the generator: surnames and given names per jurisdiction, in characters, romanised and as search keys.

Romanisations per jurisdiction: CN Hanyu Pinyin, HK Hong Kong government Cantonese, TW Wade–Giles
(as on Taiwanese passports). Weights are rough shares of the population (per cent).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from lifecrm.core.generator.sampling import choice_weighted

# simplified traditional pinyin hk tw weight-cn weight-hk weight-tw
_SURNAMES = """
王 王 Wang Wong Wang 7.17 2.0 4.1
李 李 Li Lee Lee 7.00 5.5 5.1
张 張 Zhang Cheung Chang 6.74 4.0 5.3
刘 劉 Liu Lau Liu 5.10 2.8 3.2
陈 陳 Chen Chan Chen 4.61 9.0 11.1
杨 楊 Yang Yeung Yang 3.22 1.6 2.7
黄 黃 Huang Wong Huang 2.45 5.0 6.0
吴 吳 Wu Ng Wu 2.00 2.6 4.0
赵 趙 Zhao Chiu Chao 2.00 0.6 0.6
周 周 Zhou Chow Chou 1.90 1.5 1.4
徐 徐 Xu Tsui Hsu 1.45 1.0 1.3
孙 孫 Sun Suen Sun 1.38 0.5 0.5
马 馬 Ma Ma Ma 1.29 1.0 0.5
朱 朱 Zhu Chu Chu 1.28 1.0 0.7
胡 胡 Hu Wu Hu 1.16 1.0 0.7
林 林 Lin Lam Lin 1.13 3.5 8.3
郭 郭 Guo Kwok Kuo 1.13 1.4 1.7
何 何 He Ho Ho 1.06 3.0 0.9
高 高 Gao Ko Kao 1.00 0.8 0.9
罗 羅 Luo Law Lo 0.95 1.6 0.8
郑 鄭 Zheng Cheng Cheng 0.93 2.0 2.0
梁 梁 Liang Leung Liang 0.85 3.5 0.7
谢 謝 Xie Tse Hsieh 0.76 1.4 1.9
宋 宋 Song Sung Sung 0.70 0.4 0.5
唐 唐 Tang Tong Tang 0.63 0.8 0.4
许 許 Xu Hui Hsu 0.63 1.6 2.3
邓 鄧 Deng Tang Teng 0.62 1.2 0.4
冯 馮 Feng Fung Feng 0.62 1.2 0.3
韩 韓 Han Hon Han 0.61 0.3 0.3
曹 曹 Cao Tso Tsao 0.60 0.6 0.4
曾 曾 Zeng Tsang Tseng 0.58 1.6 1.0
彭 彭 Peng Pang Peng 0.58 0.8 0.6
萧 蕭 Xiao Siu Hsiao 0.56 0.8 0.6
蔡 蔡 Cai Choi Tsai 0.53 1.2 2.9
潘 潘 Pan Poon Pan 0.52 1.0 0.4
田 田 Tian Tin Tien 0.52 0.3 0.3
董 董 Dong Tung Tung 0.51 0.4 0.3
袁 袁 Yuan Yuen Yuan 0.50 0.8 0.2
于 于 Yu Yu Yu 0.48 0.3 0.3
叶 葉 Ye Yip Yeh 0.48 1.6 0.9
蒋 蔣 Jiang Tseung Chiang 0.48 0.4 0.5
杜 杜 Du To Tu 0.47 0.6 0.3
苏 蘇 Su So Su 0.46 0.8 0.6
魏 魏 Wei Ngai Wei 0.45 0.4 0.3
程 程 Cheng Ching Cheng 0.45 0.4 0.3
吕 呂 Lyu Lui Lu 0.45 0.8 0.5
丁 丁 Ding Ting Ting 0.43 0.4 0.3
沈 沈 Shen Shum Shen 0.41 0.5 0.4
任 任 Ren Yam Jen 0.41 0.3 0.2
姚 姚 Yao Yiu Yao 0.40 0.4 0.3
卢 盧 Lu Lo Lu 0.40 0.9 0.6
傅 傅 Fu Fu Fu 0.40 0.3 0.3
钟 鍾 Zhong Chung Chung 0.40 1.2 0.8
姜 姜 Jiang Keung Chiang 0.39 0.3 0.3
崔 崔 Cui Tsui Tsui 0.38 0.3 0.1
谭 譚 Tan Tam Tan 0.38 1.2 0.2
廖 廖 Liao Liu Liao 0.37 0.8 1.3
范 范 Fan Fan Fan 0.36 0.4 0.3
汪 汪 Wang Wong Wang 0.36 0.3 0.3
陆 陸 Lu Luk Lu 0.36 0.4 0.2
金 金 Jin Kam Chin 0.35 0.4 0.2
石 石 Shi Shek Shih 0.34 0.6 0.4
戴 戴 Dai Tai Tai 0.34 0.4 0.4
贾 賈 Jia Ka Chia 0.33 0.1 0.1
韦 韋 Wei Wai Wei 0.32 0.5 0.1
夏 夏 Xia Ha Hsia 0.32 0.3 0.2
邱 邱 Qiu Yau Chiu 0.31 0.6 1.4
方 方 Fang Fong Fang 0.31 0.9 0.5
侯 侯 Hou Hau Hou 0.30 0.3 0.2
邹 鄒 Zou Chau Tsou 0.30 0.4 0.2
熊 熊 Xiong Hung Hsiung 0.29 0.2 0.1
孟 孟 Meng Mang Meng 0.29 0.1 0.1
秦 秦 Qin Chun Chin 0.29 0.2 0.1
白 白 Bai Pak Pai 0.28 0.2 0.2
江 江 Jiang Kong Chiang 0.28 0.6 1.1
阎 閻 Yan Yim Yen 0.27 0.2 0.1
薛 薛 Xue Sit Hsueh 0.26 0.2 0.2
尹 尹 Yin Wan Yin 0.26 0.3 0.1
段 段 Duan Tuen Tuan 0.24 0.1 0.1
雷 雷 Lei Lui Lei 0.24 0.3 0.1
黎 黎 Li Lai Li 0.22 0.9 0.1
史 史 Shi Sze Shih 0.21 0.2 0.2
龙 龍 Long Lung Lung 0.21 0.2 0.1
陶 陶 Tao To Tao 0.21 0.2 0.1
贺 賀 He Ho Ho 0.21 0.1 0.1
顾 顧 Gu Ku Ku 0.20 0.3 0.1
毛 毛 Mao Mo Mao 0.20 0.3 0.1
郝 郝 Hao Kok Hao 0.20 0.1 0.1
龚 龔 Gong Kung Kung 0.20 0.3 0.1
邵 邵 Shao Shiu Shao 0.20 0.3 0.1
万 萬 Wan Man Wan 0.19 0.2 0.1
赖 賴 Lai Lai Lai 0.19 0.6 1.7
洪 洪 Hong Hung Hung 0.19 0.6 1.4
庄 莊 Zhuang Chong Chuang 0.18 0.5 0.7
简 簡 Jian Kan Chien 0.10 0.3 0.6
游 游 You Yau Yu 0.10 0.2 0.7
"""

# simplified traditional pinyin hk tw sex(M/F/U)
_GIVEN_CHARS = """
伟 偉 Wei Wai Wei M
强 強 Qiang Keung Chiang M
磊 磊 Lei Lui Lei M
军 軍 Jun Kwan Chun M
勇 勇 Yong Yung Yung M
杰 傑 Jie Kit Chieh M
涛 濤 Tao To Tao M
明 明 Ming Ming Ming U
超 超 Chao Chiu Chao M
斌 斌 Bin Pan Pin M
辉 輝 Hui Fai Hui M
鹏 鵬 Peng Pang Peng M
华 華 Hua Wah Hua U
飞 飛 Fei Fei Fei M
宇 宇 Yu Yu Yu M
浩 浩 Hao Ho Hao M
凯 凱 Kai Hoi Kai M
俊 俊 Jun Chun Chun M
建 建 Jian Kin Chien M
国 國 Guo Kwok Kuo M
志 志 Zhi Chi Chih M
文 文 Wen Man Wen U
海 海 Hai Hoi Hai M
东 東 Dong Tung Tung M
子 子 Zi Tsz Tzu U
嘉 嘉 Jia Ka Chia U
家 家 Jia Ka Chia U
昊 昊 Hao Ho Hao M
宏 宏 Hong Wang Hung M
晨 晨 Chen San Chen U
轩 軒 Xuan Hin Hsuan M
博 博 Bo Pok Po M
德 德 De Tak Te M
振 振 Zhen Chun Chen M
成 成 Cheng Shing Cheng M
立 立 Li Lap Li M
永 永 Yong Wing Yung M
健 健 Jian Kin Chien M
峰 峰 Feng Fung Feng M
龙 龍 Long Lung Lung M
天 天 Tian Tin Tien M
安 安 An On An U
新 新 Xin San Hsin U
睿 睿 Rui Yui Jui M
泽 澤 Ze Chak Tse M
铭 銘 Ming Ming Ming M
思 思 Si Sze Szu U
彦 彥 Yan Yin Yen M
毅 毅 Yi Ngai Yi M
刚 剛 Gang Kong Kang M
平 平 Ping Ping Ping U
波 波 Bo Po Po M
芳 芳 Fang Fong Fang F
娜 娜 Na Na Na F
敏 敏 Min Man Min F
静 靜 Jing Ching Ching F
丽 麗 Li Lai Li F
艳 艷 Yan Yim Yen F
娟 娟 Juan Kuen Chuan F
霞 霞 Xia Ha Hsia F
燕 燕 Yan Yin Yen F
玲 玲 Ling Ling Ling F
婷 婷 Ting Ting Ting F
慧 慧 Hui Wai Hui F
颖 穎 Ying Wing Ying F
雪 雪 Xue Suet Hsueh F
琳 琳 Lin Lam Lin F
欣 欣 Xin Yan Hsin F
怡 怡 Yi Yi Yi F
佳 佳 Jia Kai Chia F
美 美 Mei Mei Mei F
淑 淑 Shu Shuk Shu F
秀 秀 Xiu Sau Hsiu F
英 英 Ying Ying Ying F
萍 萍 Ping Ping Ping F
红 紅 Hong Hung Hung F
梅 梅 Mei Mui Mei F
兰 蘭 Lan Lan Lan F
莉 莉 Li Lei Li F
晶 晶 Jing Ching Ching F
洁 潔 Jie Kit Chieh F
琴 琴 Qin Kam Chin F
云 雲 Yun Wan Yun F
倩 倩 Qian Sin Chien F
雅 雅 Ya Nga Ya F
诗 詩 Shi Sze Shih F
梓 梓 Zi Tsz Tzu F
涵 涵 Han Ham Han F
萱 萱 Xuan Huen Hsuan F
悦 悅 Yue Yuet Yueh F
馨 馨 Xin Hing Hsin F
蕾 蕾 Lei Lui Lei F
晓 曉 Xiao Hiu Hsiao F
月 月 Yue Yuet Yueh F
玉 玉 Yu Yuk Yu F
珍 珍 Zhen Chun Chen F
宁 寧 Ning Ning Ning F
依 依 Yi Yi Yi F
可 可 Ke Ho Ko F
心 心 Xin Sum Hsin F
"""


def whitespace_table(text: str) -> list[list[str]]:
    """The rows of a table typed as text, one row a line, columns separated by spaces."""
    return [line.split() for line in text.strip().splitlines()]


_JURISDICTION_COLUMN = {"CN": 2, "HK": 3, "TW": 4}


@dataclass(frozen=True)
class NamePool:
    """Surnames and given names of one jurisdiction, with romanised and search forms, as arrays."""

    jurisdiction: str
    surname: np.ndarray  # object arrays, aligned
    surname_romanised: np.ndarray
    surname_weights: np.ndarray
    given: dict[str, np.ndarray]  # sex -> given names
    given_romanised: dict[str, np.ndarray]  # sex -> romanised given names (with a leading space)
    surname_search: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    given_search: dict[str, np.ndarray] = field(default_factory=dict)

    def full_names(
        self, rng: np.random.Generator, sex: np.ndarray, surname_index: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(name, romanised name, search key) for each sex ('M'/'F'); surnames drawn unless given."""
        count = len(sex)
        if surname_index is None:
            surname_index = self.draw_surnames(rng, count)
        name = np.empty(count, dtype=object)
        romanised = np.empty(count, dtype=object)
        search = np.empty(count, dtype=object)
        for code in ("M", "F"):
            rows = np.nonzero(sex == code)[0]
            picks = rng.integers(0, len(self.given[code]), len(rows))
            name[rows] = self.surname[surname_index[rows]] + self.given[code][picks]
            romanised[rows] = self.surname_romanised[surname_index[rows]] + self.given_romanised[code][picks]
            search[rows] = self.surname_search[surname_index[rows]] + self.given_search[code][picks]
        return name, romanised, search

    def draw_surnames(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return choice_weighted(rng, self.surname_weights, count)


def search_keys(romanised: np.ndarray) -> np.ndarray:
    """`parties.rules.romanised_search_key` in bulk: lower case, letters only."""
    table = {ord(c): None for c in " -'.,"}
    return np.array([r.lower().translate(table) for r in romanised.tolist()], dtype=object)


@cache
def name_pool(jurisdiction: str) -> NamePool:
    column = _JURISDICTION_COLUMN[jurisdiction]
    script = 0 if jurisdiction == "CN" else 1
    surnames = whitespace_table(_SURNAMES)
    weight_column = {"CN": 5, "HK": 6, "TW": 7}[jurisdiction]
    chars = whitespace_table(_GIVEN_CHARS)
    given: dict[str, np.ndarray] = {}
    given_romanised: dict[str, np.ndarray] = {}
    for sex in ("M", "F"):
        pool = [c for c in chars if c[5] in (sex, "U")]
        names, romans = [], []
        for first in pool:
            names.append(first[script])
            romans.append(_romanise_given([first[column]], jurisdiction))
            for second in pool:
                if second is first:
                    continue
                names.append(first[script] + second[script])
                romans.append(_romanise_given([first[column], second[column]], jurisdiction))
        given[sex] = np.array(names, dtype=object)
        given_romanised[sex] = np.array(romans, dtype=object)
    return NamePool(
        jurisdiction=jurisdiction,
        surname=np.array([s[script] for s in surnames], dtype=object),
        surname_romanised=np.array([s[column] for s in surnames], dtype=object),
        surname_weights=np.array([float(s[weight_column]) for s in surnames]),
        given=given,
        given_romanised=given_romanised,
        surname_search=search_keys(np.array([s[column] for s in surnames], dtype=object)),
        given_search={sex: search_keys(romans) for sex, romans in given_romanised.items()},
    )


def _romanise_given(syllables: list[str], jurisdiction: str) -> str:
    """' Jianhua' (CN), ' Kin Wah' (HK), ' Chien-hua' (TW): appended to the surname."""
    if jurisdiction == "CN":
        return " " + syllables[0] + "".join(s.lower() for s in syllables[1:])
    if jurisdiction == "HK":
        return " " + " ".join(syllables)
    return " " + syllables[0] + "".join("-" + s.lower() for s in syllables[1:])
