"""Places of the generator: the cities and districts of each jurisdiction, with division codes and postcodes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lifecrm.core.generator.names import whitespace_table

# city, English name, address prefix, districts "name:code:postcode" (code: PRC administrative division
# code of the district, or the Taiwan ID letter of the city).
_CITIES = {
    "CN": """
北京 Beijing 北京市 东城区:110101:100010 朝阳区:110105:100020 海淀区:110108:100080
上海 Shanghai 上海市 黄浦区:310101:200001 徐汇区:310104:200030 浦东新区:310115:200120
广州 Guangzhou 广东省广州市 越秀区:440104:510030 天河区:440106:510620 海珠区:440105:510220
深圳 Shenzhen 广东省深圳市 福田区:440304:518000 南山区:440305:518052 宝安区:440306:518101
杭州 Hangzhou 浙江省杭州市 上城区:330102:310002 西湖区:330106:310012 滨江区:330108:310051
南京 Nanjing 江苏省南京市 玄武区:320102:210018 鼓楼区:320106:210009 江宁区:320115:211100
成都 Chengdu 四川省成都市 锦江区:510104:610021 武侯区:510107:610041 成华区:510108:610066
武汉 Wuhan 湖北省武汉市 江岸区:420102:430010 武昌区:420106:430061 洪山区:420111:430070
西安 Xi'an 陕西省西安市 新城区:610102:710004 碑林区:610103:710001 雁塔区:610113:710061
重庆 Chongqing 重庆市 渝中区:500103:400010 江北区:500105:400020 南岸区:500108:400060
天津 Tianjin 天津市 和平区:120101:300041 河西区:120103:300202 南开区:120104:300100
苏州 Suzhou 江苏省苏州市 姑苏区:320508:215000 吴中区:320506:215128 虎丘区:320505:215004
青岛 Qingdao 山东省青岛市 市南区:370202:266001 市北区:370203:266011 崂山区:370212:266100
长沙 Changsha 湖南省长沙市 芙蓉区:430102:410011 岳麓区:430104:410006 雨花区:430111:410011
郑州 Zhengzhou 河南省郑州市 中原区:410102:450007 金水区:410105:450003 二七区:410103:450052
厦门 Xiamen 福建省厦门市 思明区:350203:361001 湖里区:350206:361006 集美区:350211:361021
""",
    "HK": """
香港島 Hong-Kong-Island 香港 中西區:0: 灣仔區:0: 東區:0: 南區:0:
九龍 Kowloon 九龍 油尖旺區:0: 深水埗區:0: 九龍城區:0: 黃大仙區:0: 觀塘區:0:
新界東 New-Territories-East 新界 沙田區:0: 大埔區:0: 西貢區:0: 北區:0:
新界西 New-Territories-West 新界 荃灣區:0: 屯門區:0: 元朗區:0: 葵青區:0: 離島區:0:
""",
    "TW": """
臺北 Taipei 臺北市 大安區:A:106 信義區:A:110 中山區:A:104 士林區:A:111
新北 New-Taipei 新北市 板橋區:F:220 新莊區:F:242 中和區:F:235
桃園 Taoyuan 桃園市 桃園區:H:330 中壢區:H:320
臺中 Taichung 臺中市 西屯區:B:407 北屯區:B:406 南屯區:B:408
臺南 Tainan 臺南市 東區:D:701 永康區:D:710
高雄 Kaohsiung 高雄市 苓雅區:E:802 三民區:E:807 左營區:E:813
""",
}


@dataclass(frozen=True)
class City:
    name: str
    name_en: str
    prefix: str
    districts: tuple[tuple[str, str, str], ...]  # (district, code, postcode)


@cache
def cities(jurisdiction: str) -> tuple[City, ...]:
    result = []
    for row in whitespace_table(_CITIES[jurisdiction]):
        name, name_en, prefix, *districts = row
        result.append(City(name, name_en.replace("-", " "), prefix,
                           tuple(tuple(d.split(":")) for d in districts)))
    return tuple(result)
